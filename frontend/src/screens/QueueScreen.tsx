import { ReloadOutlined } from "@ant-design/icons";
import {
  App,
  Button,
  Descriptions,
  Form,
  Input,
  Modal,
  Progress,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { HandoverJob, Jobs, RequeueJob, VoidJob, type ui } from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { useShowError } from "../errors";
import i18n from "../i18n";
import zhCN from "../i18n/zh-CN";
import { jobStateLabel } from "../labels";

const stateColour: Record<string, string> = {
  issued: "success",
  awaiting_handover: "processing",
  needs_attention: "error",
  spoiled: "warning",
  voided: "default",
};

const jobStates = Object.keys(zhCN.jobState);

interface Props {
  status: ui.Status | null;
}

/** Lists the station's issuance jobs. Needs a logged-in operator. */
export function QueueScreen({ status }: Props) {
  const { t } = useTranslation();
  if (!status?.operator.loggedIn) {
    return <LoginPanel reason={t("empty.loginQueue")} />;
  }
  return <JobTable />;
}

interface VoidForm {
  reason: string;
  login: string;
  password: string;
}

function JobTable() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const showError = useShowError();
  const [states, setStates] = useState<string[]>([]);
  const [jobs, setJobs] = useState<ui.JobView[]>([]);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const [voiding, setVoiding] = useState<ui.JobView | null>(null);
  const [form] = Form.useForm<VoidForm>();

  // load requests the jobs again. The effect below makes the call.
  const load = useCallback(() => {
    setLoading(true);
    setTick((n) => n + 1);
  }, []);

  useEffect(() => {
    let live = true;
    Jobs({ states, limit: 200 })
      .then((list) => live && setJobs(list))
      .catch((reason: unknown) => live && showError(i18n.t("error.loadJobs"), reason))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [states, tick, showError]);

  const done = (job: ui.JobView) => {
    void message.success(t("queue.done", { id: job.id, state: jobStateLabel(t, job.state) }));
    load();
  };
  const act = (call: Promise<ui.JobView>) =>
    call.then(done).catch((reason: unknown) => showError(i18n.t("error.jobAction"), reason));
  const submitVoid = (values: VoidForm) => {
    if (!voiding) return;
    VoidJob(voiding.id, values.reason, { login: values.login, password: values.password })
      .then((job) => {
        setVoiding(null);
        form.resetFields();
        done(job);
      })
      .catch((reason: unknown) => {
        showError(i18n.t("error.jobAction"), reason);
        form.setFieldValue("password", "");
      });
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("queue.title")}</Typography.Title>
      <Space>
        <Select<string[]>
          mode="multiple"
          allowClear
          aria-label={t("queue.filter")}
          placeholder={t("queue.allStates")}
          style={{ minWidth: 360 }}
          value={states}
          onChange={(value) => {
            setLoading(true);
            setStates(value);
          }}
          options={jobStates.map((s) => ({ value: s, label: jobStateLabel(t, s) }))}
        />
        <Button icon={<ReloadOutlined />} onClick={load}>
          {t("queue.refresh")}
        </Button>
      </Space>
      <Table<ui.JobView>
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={jobs}
        locale={{ emptyText: t("queue.empty") }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        expandable={{
          rowExpandable: (job) => job.attention !== "" || job.cardSerial !== "",
          expandedRowRender: (job) => (
            <Descriptions size="small" column={1}>
              {job.attention && <Descriptions.Item label={t("queue.attention")}>{job.attention}</Descriptions.Item>}
              {job.attentionFrom && (
                <Descriptions.Item label={t("queue.attentionFrom")}>
                  {jobStateLabel(t, job.attentionFrom)}
                </Descriptions.Item>
              )}
              {job.cardSerial && <Descriptions.Item label={t("queue.cardSerial")}>{job.cardSerial}</Descriptions.Item>}
            </Descriptions>
          ),
        }}
        columns={[
          { title: t("queue.id"), dataIndex: "id", width: 70 },
          { title: t("queue.application"), dataIndex: "applicationId" },
          { title: t("queue.permitNumber"), dataIndex: "permitNumber" },
          {
            title: t("queue.state"),
            dataIndex: "state",
            render: (state: string) => <Tag color={stateColour[state]}>{jobStateLabel(t, state)}</Tag>,
          },
          {
            title: t("queue.progress"),
            dataIndex: "percent",
            width: 140,
            render: (p: number) => <Progress percent={p} size="small" />,
          },
          { title: t("queue.attempt"), dataIndex: "attempt", width: 70 },
          {
            title: t("queue.updated"),
            dataIndex: "updatedAt",
            render: (v: string) => new Date(v).toLocaleString(i18n.language),
          },
          {
            title: t("queue.actions"),
            key: "actions",
            render: (_: unknown, job: ui.JobView) => (
              <Space size="small" wrap>
                {job.state === "awaiting_handover" && (
                  <Button size="small" type="primary" onClick={() => act(HandoverJob(job.id))}>
                    {t("queue.handover")}
                  </Button>
                )}
                {job.state === "spoiled" && (
                  <Button size="small" onClick={() => act(RequeueJob(job.id))}>
                    {t("queue.requeue")}
                  </Button>
                )}
                {job.state === "needs_attention" &&
                  (["continue", "retry"] as const).map((c) => (
                    <Tooltip key={c} title={t("queue.needsDevices", { id: job.id })}>
                      <Button size="small" disabled>
                        {t(`queue.${c}`)}
                      </Button>
                    </Tooltip>
                  ))}
                {job.choices.includes("void") && (
                  <Button size="small" danger onClick={() => setVoiding(job)}>
                    {t("queue.void")}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={voiding !== null}
        title={voiding ? t("queue.voidTitle", { id: voiding.id }) : ""}
        okText={t("queue.confirmVoid")}
        cancelText={t("queue.cancel")}
        okButtonProps={{ danger: true }}
        onOk={() => form.submit()}
        onCancel={() => {
          setVoiding(null);
          form.resetFields();
        }}
        destroyOnHidden
      >
        <Typography.Paragraph>{t("queue.voidHint")}</Typography.Paragraph>
        <Form<VoidForm> form={form} layout="vertical" onFinish={submitVoid} requiredMark={false}>
          <Form.Item
            label={t("queue.voidReason")}
            name="reason"
            rules={[{ required: true, message: t("login.required", { field: t("queue.voidReason") }) }]}
          >
            <Input.TextArea autoFocus rows={2} />
          </Form.Item>
          <Form.Item
            label={t("queue.supervisorLogin")}
            name="login"
            rules={[{ required: true, message: t("login.required", { field: t("queue.supervisorLogin") }) }]}
          >
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item
            label={t("queue.supervisorPassword")}
            name="password"
            rules={[{ required: true, message: t("login.required", { field: t("queue.supervisorPassword") }) }]}
          >
            <Input.Password autoComplete="off" />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
