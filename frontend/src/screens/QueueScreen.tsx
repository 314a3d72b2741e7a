import { ReloadOutlined } from "@ant-design/icons";
import { App, Button, Descriptions, Form, Input, Modal, Progress, Select, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { HandoverJob, Jobs, ResolveJob, StartJob, VoidJob, type ui } from "../bridge";
import { Events, onEvent } from "../events";
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

interface ApprovalForm {
  reason?: string;
  login: string;
  password: string;
}

/** A decision waiting for a supervisor's approval in the modal. */
interface Pending {
  job: ui.JobView;
  choice: "retry" | "void";
}

/** Jobs whose card may be in the printer are voided through the worker. */
const atWorker = new Set(["needs_attention", "spoiled"]);

function JobTable() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const showError = useShowError();
  const [states, setStates] = useState<string[]>([]);
  const [jobs, setJobs] = useState<ui.JobView[]>([]);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [form] = Form.useForm<ApprovalForm>();

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

  // Each job step reloads the list, so states and progress stay live.
  useEffect(() => onEvent(Events.EventJobProgress, () => setTick((n) => n + 1)), []);

  const done = (job: ui.JobView) => {
    void message.success(t("queue.done", { id: job.id, state: jobStateLabel(t, job.state) }));
    load();
  };
  const act = (job: ui.JobView, call: () => Promise<ui.JobView>) => {
    setBusy(job.id);
    call()
      .then(done)
      .catch((reason: unknown) => showError(i18n.t("error.jobAction"), reason))
      .finally(() => setBusy(null));
  };
  const closeApproval = () => {
    setPending(null);
    form.resetFields();
  };
  const submitApproval = (values: ApprovalForm) => {
    if (!pending) return;
    const { job, choice } = pending;
    const approval = { login: values.login, password: values.password };
    const reason = values.reason ?? "";
    const call =
      choice === "void" && !atWorker.has(job.state)
        ? VoidJob(job.id, reason, approval)
        : ResolveJob(job.id, choice, reason, approval);
    setBusy(job.id);
    call
      .then((next) => {
        closeApproval();
        done(next);
      })
      .catch((reason: unknown) => {
        showError(i18n.t("error.jobAction"), reason);
        form.setFieldValue("password", "");
      })
      .finally(() => setBusy(null));
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
              {job.advice && (
                <Descriptions.Item label={t("queue.advice")}>
                  <Typography.Text strong>{job.advice}</Typography.Text>
                </Descriptions.Item>
              )}
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
                  <Button
                    size="small"
                    type="primary"
                    loading={busy === job.id}
                    onClick={() => act(job, () => HandoverJob(job.id))}
                  >
                    {t("queue.handover")}
                  </Button>
                )}
                {job.state === "queued" && (
                  <Button size="small" loading={busy === job.id} onClick={() => act(job, () => StartJob(job.id))}>
                    {t("queue.start")}
                  </Button>
                )}
                {job.choices.includes("continue") && (
                  <Button
                    size="small"
                    loading={busy === job.id}
                    onClick={() => act(job, () => ResolveJob(job.id, "continue", "", { login: "", password: "" }))}
                  >
                    {t("queue.continue")}
                  </Button>
                )}
                {job.choices.includes("retry") && (
                  <Button size="small" disabled={busy === job.id} onClick={() => setPending({ job, choice: "retry" })}>
                    {t("queue.retry")}
                  </Button>
                )}
                {job.choices.includes("void") && (
                  <Button
                    size="small"
                    danger
                    disabled={busy === job.id}
                    onClick={() => setPending({ job, choice: "void" })}
                  >
                    {t("queue.void")}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={pending !== null}
        title={pending ? t(`queue.${pending.choice}Title`, { id: pending.job.id }) : ""}
        okText={pending ? t(`queue.${pending.choice}Confirm`) : ""}
        cancelText={t("queue.cancel")}
        okButtonProps={{ danger: pending?.choice === "void", loading: pending !== null && busy === pending.job.id }}
        onOk={() => form.submit()}
        onCancel={closeApproval}
        destroyOnHidden
      >
        <Typography.Paragraph>{pending ? approvalHint(t, pending.choice, pending.job.state) : ""}</Typography.Paragraph>
        {pending?.job.advice && <Typography.Paragraph strong>{pending.job.advice}</Typography.Paragraph>}
        {pending?.job.attention && (
          <Typography.Paragraph type="secondary">
            {t("queue.attention")}: {pending.job.attention}
          </Typography.Paragraph>
        )}
        <Form<ApprovalForm> form={form} layout="vertical" onFinish={submitApproval} requiredMark={false}>
          {pending?.choice === "void" && (
            <Form.Item
              label={t("queue.voidReason")}
              name="reason"
              rules={[{ required: true, message: t("login.required", { field: t("queue.voidReason") }) }]}
            >
              <Input.TextArea autoFocus rows={2} />
            </Form.Item>
          )}
          <Form.Item
            label={t("queue.supervisorLogin")}
            name="login"
            rules={[{ required: true, message: t("login.required", { field: t("queue.supervisorLogin") }) }]}
          >
            <Input autoComplete="off" autoFocus={pending?.choice === "retry"} />
          </Form.Item>
          <Form.Item
            label={t("queue.supervisorPassword")}
            name="password"
            rules={[{ required: true, message: t("login.required", { field: t("queue.supervisorPassword") }) }]}
          >
            <Input.Password autoComplete="off" onPressEnter={() => form.submit()} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}

/** Returns what the approval of choice does to a job in state. */
function approvalHint(t: TFunction, choice: "retry" | "void", state: string): string {
  if (choice === "retry" && state === "spoiled") return t("queue.retryHintSpoiled");
  return choice === "retry" ? t("queue.retryHint") : t("queue.voidHint");
}
