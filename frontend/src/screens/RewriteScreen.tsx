import { CreditCardOutlined, EyeOutlined, SearchOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Descriptions, Input, Space, Spin, Typography, type InputRef } from "antd";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import {
  LookupHouseCode,
  PreviewRewrite,
  ReadRewriteCard,
  ReprintRewriteStrip,
  ResumeRewrite,
  RewriteJobs,
  RewriteReadiness,
  RollBackRewrite,
  StartRewrite,
  type ui,
} from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { useShowError } from "../errors";
import i18n from "../i18n";
import { rewriteStateLabel } from "../labels";
import { useWedge } from "../useWedge";
import { CardDetails, type RewriteCard } from "./rewrite/CardDetails";
import { JobProgress } from "./rewrite/JobProgress";
import { JobTable } from "./rewrite/JobTable";
import { StripPreview, type RewritePreview } from "./rewrite/StripPreview";
import { endStates, useRewriteJob, type RewriteJobState } from "./rewrite/useRewriteJob";

interface Props {
  status: ui.Status | null;
}

/** Address rewriting on an issued card. Needs a logged-in technician or supervisor. */
export function RewriteScreen({ status }: Props) {
  const { t } = useTranslation();
  if (!status?.operator.loggedIn) {
    return <LoginPanel reason={t("empty.loginRewrite")} />;
  }
  if (status.operator.role !== "technician" && status.operator.role !== "supervisor") {
    return (
      <Space direction="vertical" size="middle" style={{ width: "100%" }}>
        <Typography.Title level={3}>{t("rewrite.title")}</Typography.Title>
        <Alert type="warning" showIcon message={t("rewrite.roleRequired")} />
      </Space>
    );
  }
  return <RewriteDesk />;
}

/** Checks that the window can rewrite cards, and names what is missing when it cannot. */
function RewriteDesk() {
  const { t } = useTranslation();
  const showError = useShowError();
  const [readiness, setReadiness] = useState<ui.RewriteReadinessView | null>(null);
  useEffect(() => {
    let live = true;
    RewriteReadiness()
      .then((r) => live && setReadiness(r))
      .catch((reason: unknown) => live && showError(i18n.t("error.rewriteReadiness"), reason));
    return () => {
      live = false;
    };
  }, [showError]);
  if (!readiness) {
    return (
      <Space>
        <Spin />
        <Typography.Text type="secondary">{t("rewrite.loading")}</Typography.Text>
      </Space>
    );
  }
  if (readiness.ready) {
    return <RewriteWorkflow />;
  }
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("rewrite.title")}</Typography.Title>
      <Alert
        type="warning"
        showIcon
        data-testid="rewrite-not-ready"
        message={
          readiness.missing.length > 0
            ? t("rewrite.devicesMissing")
            : t("rewrite.notStarted", { detail: readiness.detail })
        }
        description={
          readiness.missing.length > 0 && <Typography.Text code>{readiness.missing.join(", ")}</Typography.Text>
        }
      />
      <HouseLookup />
    </Space>
  );
}

/**
 * Read the card, preview the change, confirm, follow the progress, and act on
 * jobs that need attention. F2 reads the card and F4 confirms the previewed
 * change.
 */
function RewriteWorkflow() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const showError = useShowError();
  const [card, setCard] = useState<RewriteCard | null>(null);
  const [reading, setReading] = useState(false);
  const [code, setCode] = useState("");
  const [preview, setPreview] = useState<RewritePreview | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [starting, setStarting] = useState(false);
  const [acting, setActing] = useState(false);
  const [trackedId, setTrackedId] = useState<number | null>(null);
  const [jobs, setJobs] = useState<RewriteJobState[]>([]);
  const [jobsLoading, setJobsLoading] = useState(true);
  const [jobsTick, setJobsTick] = useState(0);
  const codeInput = useRef<InputRef>(null);
  const previewArea = useRef<HTMLDivElement>(null);
  // A new preview is scrolled into view with its confirm button. jsdom has
  // no scrollIntoView, hence the optional call.
  useEffect(() => {
    if (preview) {
      previewArea.current?.scrollIntoView?.({ block: "nearest" });
    }
  }, [preview]);

  const reloadJobs = useCallback(() => setJobsTick((n) => n + 1), []);
  useEffect(() => {
    let live = true;
    RewriteJobs()
      .then((list) => live && setJobs(list))
      .catch((reason: unknown) => live && showError(i18n.t("error.rewriteJob"), reason))
      .finally(() => live && setJobsLoading(false));
    return () => {
      live = false;
    };
  }, [jobsTick, showError]);

  const [job, replaceJob] = useRewriteJob(trackedId, reloadJobs);
  const running = job !== null && !endStates.includes(job.state);
  const busy = reading || previewing || starting || acting || running;

  const readCard = () => {
    if (busy) return;
    setReading(true);
    setPreview(null);
    ReadRewriteCard()
      .then((c) => {
        setCard(c);
        // The input is enabled by the render that follows.
        setTimeout(() => codeInput.current?.focus(), 0);
      })
      .catch((reason: unknown) => {
        setCard(null);
        showError(i18n.t("error.rewriteRead"), reason);
      })
      .finally(() => setReading(false));
  };

  const previewChange = (value: string) => {
    if (busy || value.trim() === "") return;
    setPreviewing(true);
    PreviewRewrite(value.trim())
      .then((p) => {
        setPreview(p);
        setCard(p.card);
      })
      .catch((reason: unknown) => {
        setPreview(null);
        showError(i18n.t("error.rewritePreview"), reason);
      })
      .finally(() => setPreviewing(false));
  };

  const start = (p: RewritePreview) => {
    setStarting(true);
    StartRewrite(p.newAddress.houseCode, p.card.serial)
      .then((j) => {
        setTrackedId(j.id);
        replaceJob(j);
        setPreview(null);
        reloadJobs();
      })
      .catch((reason: unknown) => showError(i18n.t("error.rewriteStart"), reason))
      .finally(() => setStarting(false));
  };

  const confirm = () => {
    if (busy || !preview) return;
    const p = preview;
    void modal.confirm({
      title: t("rewrite.confirmTitle", { serial: p.card.serial }),
      content: t("rewrite.confirmBody", { name: p.card.holderName, line: p.newAddress.line }),
      okText: t("rewrite.start"),
      cancelText: t("rewrite.cancel"),
      autoFocusButton: "ok",
      onOk: () => start(p),
    });
  };

  const act = (target: RewriteJobState, choice: string) => {
    if (busy) return;
    const call = { resume: ResumeRewrite, roll_back: RollBackRewrite, reprint: ReprintRewriteStrip }[choice];
    if (!call) return;
    setActing(true);
    setTrackedId(target.id);
    call(target.id)
      .then((j) => {
        replaceJob(j);
        void message.success(t("rewrite.actionDone", { id: j.id, state: rewriteStateLabel(t, j.state) }));
        if (card?.openJob?.id === j.id) {
          setCard({ ...card, openJob: undefined });
        }
      })
      .catch((reason: unknown) => showError(i18n.t("error.rewriteAction"), reason))
      .finally(() => {
        setActing(false);
        reloadJobs();
      });
  };

  useFunctionKeys({ F2: readCard, F4: confirm });
  useWedge((scanned) => {
    setCode(scanned);
    previewChange(scanned);
  });

  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Title level={3}>{t("rewrite.title")}</Typography.Title>
      <Space wrap>
        <Button
          type="primary"
          icon={<CreditCardOutlined />}
          loading={reading}
          disabled={busy && !reading}
          onClick={readCard}
          data-testid="rewrite-read-card"
        >
          {t("rewrite.readCard")} (F2)
        </Button>
        <Typography.Text type="secondary">{t("rewrite.readCardHint")}</Typography.Text>
      </Space>
      {card && <CardDetails card={card} busy={busy} onAct={act} />}
      <Space.Compact style={{ maxWidth: 560, width: "100%" }}>
        <Input
          ref={codeInput}
          allowClear
          aria-label={t("rewrite.houseCode")}
          placeholder={t("rewrite.houseCode")}
          value={code}
          disabled={!card}
          onChange={(e) => setCode(e.target.value)}
          onPressEnter={() => previewChange(code)}
          data-testid="rewrite-house-code"
        />
        <Button
          icon={<EyeOutlined />}
          loading={previewing}
          disabled={!card || (busy && !previewing)}
          onClick={() => previewChange(code)}
        >
          {t("rewrite.preview")}
        </Button>
      </Space.Compact>
      <Typography.Text type="secondary">{t("rewrite.previewHint")}</Typography.Text>
      {preview && (
        <div ref={previewArea}>
          <Space direction="vertical" size="middle" style={{ width: "100%" }}>
            <StripPreview preview={preview} />
            <Button
              type="primary"
              size="large"
              loading={starting}
              disabled={busy && !starting}
              onClick={confirm}
              data-testid="rewrite-confirm"
            >
              {t("rewrite.confirm")} (F4)
            </Button>
          </Space>
        </div>
      )}
      {job && <JobProgress job={job} busy={busy} onAct={act} />}
      <JobTable jobs={jobs} loading={jobsLoading} busy={busy} onRefresh={reloadJobs} onAct={act} />
    </Space>
  );
}

/** Calls the handler of each function key pressed anywhere in the window. */
function useFunctionKeys(handlers: Record<string, () => void>) {
  const current = useRef(handlers);
  useEffect(() => {
    current.current = handlers;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const handler = current.current[e.key];
      if (handler && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        handler();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

/** House code lookup only, for a window that cannot rewrite cards. */
function HouseLookup() {
  const { t } = useTranslation();
  const showError = useShowError();
  const [code, setCode] = useState("");
  const [found, setFound] = useState<ui.HouseCodeView | null>(null);
  const [busy, setBusy] = useState(false);
  const lookup = (value: string) => {
    setBusy(true);
    LookupHouseCode(value)
      .then(setFound)
      .catch((reason: unknown) => {
        setFound(null);
        showError(i18n.t("error.lookup"), reason);
      })
      .finally(() => setBusy(false));
  };
  useWedge((scanned) => {
    setCode(scanned);
    lookup(scanned);
  });
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Space.Compact style={{ maxWidth: 560, width: "100%" }}>
        <Input
          autoFocus
          allowClear
          aria-label={t("rewrite.houseCode")}
          placeholder={t("rewrite.houseCode")}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          onPressEnter={() => lookup(code)}
        />
        <Button type="primary" icon={<SearchOutlined />} loading={busy} onClick={() => lookup(code)}>
          {t("rewrite.lookup")}
        </Button>
      </Space.Compact>
      <Typography.Text type="secondary">{t("rewrite.hint")}</Typography.Text>
      {found && (
        <Card title={`${t("rewrite.newAddress")} · ${found.houseCode}`} size="small">
          {found.retired && <Alert type="error" showIcon message={t("rewrite.retired")} style={{ marginBottom: 12 }} />}
          {!found.online && (
            <Alert
              type="warning"
              showIcon
              message={t("rewrite.cached", {
                asOf: found.asOf ? new Date(found.asOf).toLocaleString(i18n.language) : "—",
              })}
              style={{ marginBottom: 12 }}
            />
          )}
          <Descriptions size="small" column={2}>
            <Descriptions.Item label={t("rewrite.district")}>{found.district}</Descriptions.Item>
            <Descriptions.Item label={t("rewrite.street")}>{found.street}</Descriptions.Item>
            <Descriptions.Item label={t("rewrite.community")}>{found.community}</Descriptions.Item>
            <Descriptions.Item label={t("rewrite.detail")}>{found.detail}</Descriptions.Item>
            <Descriptions.Item label={t("rewrite.line")} span={2}>
              {found.line}
            </Descriptions.Item>
          </Descriptions>
        </Card>
      )}
    </Space>
  );
}
