import { LogoutOutlined, UserOutlined } from "@ant-design/icons";
import { Button, Space, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Logout, type ui } from "../bridge";
import { useShowError } from "../errors";
import i18n from "../i18n";
import { roleLabel } from "../labels";

interface Props {
  operator: ui.OperatorStatus;
}

/** Shows the logged-in operator in the header, with the logout button. */
export function OperatorMenu({ operator }: Props) {
  const { t } = useTranslation();
  const showError = useShowError();
  return (
    <Space>
      <Typography.Text style={{ color: "#fff" }}>
        <UserOutlined />{" "}
        {t("login.loggedInAs", { name: operator.name || operator.login, role: roleLabel(t, operator.role) })}
      </Typography.Text>
      <Button
        size="small"
        icon={<LogoutOutlined />}
        onClick={() => Logout().catch((reason: unknown) => showError(i18n.t("error.logout"), reason))}
      >
        {t("login.logout")}
      </Button>
    </Space>
  );
}
