import { Button, Card, Form, Input, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Login } from "../bridge";
import { useShowError } from "../errors";
import i18n from "../i18n";

interface Props {
  /** Explains why this screen needs a login. */
  reason: string;
}

interface Credentials {
  login: string;
  password: string;
}

/** Operator login form; the status bar follows through status events. */
export function LoginPanel({ reason }: Props) {
  const { t } = useTranslation();
  const showError = useShowError();
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<Credentials>();
  const submit = (values: Credentials) => {
    setBusy(true);
    Login(values.login, values.password)
      .then(() => form.resetFields())
      .catch((reason: unknown) => {
        showError(i18n.t("error.login"), reason);
        form.setFieldValue("password", "");
      })
      .finally(() => setBusy(false));
  };
  return (
    <Card title={t("login.title")} style={{ maxWidth: 480, margin: "48px auto" }}>
      <Typography.Paragraph>{reason}</Typography.Paragraph>
      <Typography.Paragraph type="secondary">{t("login.hint")}</Typography.Paragraph>
      <Form<Credentials> form={form} layout="vertical" onFinish={submit} requiredMark={false}>
        <Form.Item
          label={t("login.login")}
          name="login"
          rules={[{ required: true, message: t("login.required", { field: t("login.login") }) }]}
        >
          <Input autoFocus autoComplete="username" data-testid="login-name" />
        </Form.Item>
        <Form.Item
          label={t("login.password")}
          name="password"
          rules={[{ required: true, message: t("login.required", { field: t("login.password") }) }]}
        >
          <Input.Password autoComplete="current-password" data-testid="login-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} block>
          {t("login.submit")}
        </Button>
      </Form>
    </Card>
  );
}
