import { IdcardOutlined, SearchOutlined } from "@ant-design/icons";
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Image,
  Input,
  type InputRef,
  Row,
  Space,
  Spin,
  Table,
  Tooltip,
  Typography,
} from "antd";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { CheckIdentity, FindApplications, HandoverJob, IssueCard, PreviewCard, ReadIDCard, type ui } from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { useShowError } from "../errors";
import i18n from "../i18n";
import zhCN from "../i18n/zh-CN";
import { useWedge } from "../useWedge";
import { JobSteps, useJobProgress } from "./JobSteps";

/**
 * State of the Issue screen, kept while the clerk looks at another screen
 * so the applicant's job is still there on return.
 */
interface Desk {
  query: string;
  results: ui.ApplicationView[] | null;
  chosen: ui.ApplicationView | null;
  identity: ui.IdentityView | null;
  job: ui.JobView | null;
}

const emptyDesk: Desk = { query: "", results: null, chosen: null, identity: null, job: null };
let savedDesk: Desk = emptyDesk;

/** Clears the kept Issue screen state; tests call it between cases. */
export function resetIssueDesk() {
  savedDesk = emptyDesk;
}

/** Calls the handler of each function key while the screen is shown. */
function useFunctionKeys(keys: Record<string, () => void>) {
  const handlers = useRef(keys);
  useEffect(() => {
    handlers.current = keys;
  }, [keys]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const fn = handlers.current[e.key];
      if (fn && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        fn();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

interface Props {
  status: ui.Status | null;
}

/** Card issuing: find the approved application, check it, queue the card. */
export function IssueScreen({ status }: Props) {
  const { t } = useTranslation();
  if (!status?.operator.loggedIn) {
    return <LoginPanel reason={t("empty.loginIssue")} />;
  }
  return <IssueDesk />;
}

function IssueDesk() {
  const { t } = useTranslation();
  const showError = useShowError();
  const [query, setQuery] = useState(savedDesk.query);
  const [results, setResults] = useState<ui.ApplicationView[] | null>(savedDesk.results);
  const [chosen, setChosen] = useState<ui.ApplicationView | null>(savedDesk.chosen);
  const [identity, setIdentity] = useState<ui.IdentityView | null>(savedDesk.identity);
  const [job, setJob] = useState<ui.JobView | null>(savedDesk.job);
  const [searching, setSearching] = useState(false);
  const [issuing, setIssuing] = useState(false);

  useEffect(() => {
    savedDesk = { query, results, chosen, identity, job };
  }, [query, results, chosen, identity, job]);

  const searchInput = useRef<InputRef>(null);

  const search = useCallback(
    (text: string, fromCard: ui.IdentityView | null = null) => {
      // The previous applicant leaves the screen at once, so nothing of
      // theirs can be issued while the search runs.
      setSearching(true);
      setJob(null);
      setResults(null);
      setChosen(null);
      setIdentity(fromCard);
      FindApplications(text)
        .then((apps) => {
          setResults(apps);
          setChosen(apps.length === 1 ? apps[0] : null);
        })
        .catch((reason: unknown) => {
          setResults([]);
          setChosen(null);
          showError(i18n.t("error.search"), reason);
        })
        .finally(() => setSearching(false));
    },
    [showError],
  );

  const [reading, setReading] = useState(false);
  const readCard = () => {
    if (reading) return;
    setReading(true);
    ReadIDCard()
      .then((id) => {
        // An application found by receipt or search, not yet issued, is
        // checked against the card, so a wrong card stops the flow.
        if (chosen && !job) {
          setIdentity(id);
          return;
        }
        setQuery(id.idNumber);
        search(id.idNumber, id);
      })
      .catch((reason: unknown) => {
        // A failed read must not leave an earlier check on screen.
        setIdentity(null);
        showError(i18n.t("error.readIdCard"), reason);
      })
      .finally(() => setReading(false));
  };

  useWedge((code) => {
    setQuery(code);
    search(code);
  });

  const mismatches = useIdentityCheck(chosen, identity);
  const blocked = mismatches === null || mismatches.length > 0;

  const issue = () => {
    if (!chosen || blocked || job || issuing) return;
    setIssuing(true);
    IssueCard(chosen.id)
      .then(setJob)
      .catch((reason: unknown) => showError(i18n.t("error.queueIssue"), reason))
      .finally(() => setIssuing(false));
  };

  const next = () => {
    setQuery("");
    setResults(null);
    setChosen(null);
    setIdentity(null);
    setJob(null);
    searchInput.current?.focus();
  };

  // Esc starts over while no job runs; IssueProgress handles it once a job
  // has ended.
  useFunctionKeys({ F2: readCard, F9: issue, Escape: () => !job && next() });

  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t("issue.title")}
      </Typography.Title>
      <Space.Compact style={{ maxWidth: 720, width: "100%" }}>
        <Input
          ref={searchInput}
          autoFocus
          allowClear
          aria-label={t("issue.search")}
          placeholder={t("issue.search")}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onPressEnter={() => search(query)}
          data-testid="issue-search"
        />
        <Button type="primary" icon={<SearchOutlined />} loading={searching} onClick={() => search(query)}>
          {t("issue.searchButton")}
        </Button>
        <Tooltip title={t("issue.readIdCardHint")}>
          <Button icon={<IdcardOutlined />} loading={reading} onClick={readCard} data-testid="read-id-card">
            {t("issue.readIdCard")} (F2)
          </Button>
        </Tooltip>
      </Space.Compact>
      <Typography.Text type="secondary">{t("issue.searchHint")}</Typography.Text>
      {results !== null && results.length === 0 && !searching && <Empty description={t("issue.noResults")} />}
      {results !== null && results.length > 1 && (
        <Table<ui.ApplicationView>
          size="small"
          rowKey="id"
          pagination={false}
          title={() => t("issue.results", { count: results.length })}
          dataSource={results}
          columns={[
            { title: t("issue.application"), dataIndex: "id" },
            { title: t("issue.name"), dataIndex: "name" },
            { title: t("issue.approvedAt"), dataIndex: "approvedAt" },
            {
              title: t("issue.choose"),
              key: "choose",
              render: (_: unknown, app: ui.ApplicationView) => (
                <Button size="small" onClick={() => setChosen(app)}>
                  {t("issue.choose")}
                </Button>
              ),
            },
          ]}
        />
      )}
      {chosen && (
        <ApplicationCard
          app={chosen}
          identity={identity}
          mismatches={mismatches}
          onIssue={issue}
          issuing={issuing}
          job={job}
          onNext={next}
        />
      )}
    </Space>
  );
}

/**
 * Returns the mismatches between the ID card read and the application: an
 * empty list when they agree or no card was read, null while Go checks.
 */
function useIdentityCheck(
  app: ui.ApplicationView | null,
  identity: ui.IdentityView | null,
): ui.IdentityMismatch[] | null {
  const [result, setResult] = useState<{ key: string; list: ui.IdentityMismatch[] } | null>(null);
  const showError = useShowError();
  const key = app && identity ? `${app.id}/${identity.idNumber}/${identity.name}` : "";
  useEffect(() => {
    if (!app || !identity) return;
    let live = true;
    CheckIdentity(app.id, identity)
      .then((list) => live && setResult({ key, list }))
      .catch((reason: unknown) => live && showError(i18n.t("error.checkIdentity"), reason));
    return () => {
      live = false;
    };
  }, [app, identity, key, showError]);
  if (!key) return [];
  return result?.key === key ? result.list : null;
}

type MismatchField = keyof typeof zhCN.issue.mismatchField;

function mismatchField(field: string): field is MismatchField {
  return Object.prototype.hasOwnProperty.call(zhCN.issue.mismatchField, field);
}

interface CardProps {
  app: ui.ApplicationView;
  identity: ui.IdentityView | null;
  mismatches: ui.IdentityMismatch[] | null;
  onIssue: () => void;
  issuing: boolean;
  job: ui.JobView | null;
  onNext: () => void;
}

function ApplicationCard({ app, identity, mismatches, onIssue, issuing, job, onNext }: CardProps) {
  const { t } = useTranslation();
  const showError = useShowError();
  const [preview, setPreview] = useState<ui.CardPreview | null>(null);
  const [previewFor, setPreviewFor] = useState("");
  useEffect(() => {
    let live = true;
    PreviewCard(app.id)
      .then((p) => {
        if (live) {
          setPreview(p);
          setPreviewFor(app.id);
        }
      })
      .catch((reason: unknown) => live && showError(i18n.t("error.preview"), reason));
    return () => {
      live = false;
    };
  }, [app.id, showError]);
  const sexLabel = app.sex === "1" || app.sex === "2" ? t(`sex.${app.sex}`) : app.sex;
  const blocked = mismatches === null || mismatches.length > 0;
  const issueButton = job ? null : (
    // The button does not take the focus: Enter belongs to the search box,
    // so a scan of the next receipt can never issue this application.
    <Button
      type="primary"
      icon={<IdcardOutlined />}
      disabled={blocked}
      loading={issuing}
      onClick={onIssue}
      data-testid="issue-button"
    >
      {t("issue.issueButton")} (F9)
    </Button>
  );
  return (
    <Card size="small" title={`${t("issue.application")} ${app.id} · ${app.name}`} extra={issueButton}>
      {mismatches && mismatches.length > 0 && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="identity-mismatch"
          message={t("issue.mismatch")}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 20 }}>
              {mismatches.map((m) => (
                <li key={m.field}>
                  {mismatchField(m.field)
                    ? t(`issue.mismatchField.${m.field as MismatchField}`, { card: m.card, application: m.application })
                    : `${m.field}: ${m.card} / ${m.application}`}
                </li>
              ))}
              <li>{t("issue.mismatchNext")}</li>
            </ul>
          }
        />
      )}
      {identity && mismatches && mismatches.length === 0 && (
        <Alert type="success" showIcon style={{ marginBottom: 12 }} message={t("issue.identityMatches")} />
      )}
      {job && <IssueProgress job={job} onNext={onNext} />}
      <Row gutter={24} wrap={false}>
        <Col flex="134px">
          {app.photo ? (
            <Image src={app.photo} alt={t("issue.photo")} width={110} preview={false} />
          ) : (
            <Empty description={t("issue.noPhoto")} image={Empty.PRESENTED_IMAGE_SIMPLE} />
          )}
        </Col>
        <Col flex="auto">
          <Descriptions size="small" column={1}>
            <Descriptions.Item label={t("issue.name")}>{app.name}</Descriptions.Item>
            <Descriptions.Item label={t("issue.sex")}>{sexLabel}</Descriptions.Item>
            <Descriptions.Item label={t("issue.ethnicity")}>{app.ethnicity}</Descriptions.Item>
            <Descriptions.Item label={t("issue.birthDate")}>{app.birthDate}</Descriptions.Item>
            <Descriptions.Item label={t("issue.idNumber")}>{app.idNumber}</Descriptions.Item>
            <Descriptions.Item label={t("queue.permitNumber")}>{app.permitNumber}</Descriptions.Item>
            <Descriptions.Item label={t("issue.address")}>{app.address}</Descriptions.Item>
            <Descriptions.Item label={t("issue.houseCode")}>{app.houseCode}</Descriptions.Item>
            <Descriptions.Item label={t("issue.authority")}>{app.authority}</Descriptions.Item>
            <Descriptions.Item label={t("issue.validity")}>
              {app.validFrom} – {app.validTo}
            </Descriptions.Item>
            <Descriptions.Item label={t("issue.approvedAt")}>{app.approvedAt}</Descriptions.Item>
          </Descriptions>
        </Col>
        <Col flex="310px">
          <Typography.Text strong>{t("issue.preview")}</Typography.Text>
          {preview && previewFor === app.id ? (
            <Space direction="vertical" size="small" style={{ marginTop: 8 }}>
              <img src={preview.front} alt={t("issue.front")} className="card-preview" />
              <img src={preview.back} alt={t("issue.back")} className="card-preview" />
            </Space>
          ) : (
            <Spin tip={t("issue.previewLoading")}>
              <div style={{ height: 80 }} />
            </Spin>
          )}
        </Col>
      </Row>
    </Card>
  );
}

interface ProgressProps {
  job: ui.JobView;
  onNext: () => void;
}

/** Renders the running job's steps, then the hand-over and the next applicant. */
function IssueProgress({ job, onNext }: ProgressProps) {
  const { t } = useTranslation();
  const showError = useShowError();
  const { progress, furthest } = useJobProgress(job.id);
  const [handing, setHanding] = useState(false);
  const state = progress?.state ?? job.state;

  const handover = () => {
    if (handing || state !== "awaiting_handover") return;
    setHanding(true);
    HandoverJob(job.id)
      .catch((reason: unknown) => showError(i18n.t("error.jobAction"), reason))
      .finally(() => setHanding(false));
  };
  const finished = state === "issued";
  const ended = finished || state === "voided" || state === "spoiled";
  useFunctionKeys({ F10: handover, Escape: () => ended && onNext() });

  return (
    <Card type="inner" size="small" style={{ marginBottom: 12 }} title={t("issue.progress", { id: job.id })}>
      <JobSteps progress={progress} lastIndex={furthest} />
      {state === "awaiting_handover" && (
        <Alert
          type="info"
          showIcon
          style={{ marginTop: 12 }}
          message={t("issue.handoverPrompt")}
          action={
            <Button autoFocus type="primary" loading={handing} onClick={handover} data-testid="handover-button">
              {t("issue.handoverButton")} (F10)
            </Button>
          }
        />
      )}
      {finished && (
        <Alert
          type="success"
          showIcon
          style={{ marginTop: 12 }}
          data-testid="issued"
          message={t("issue.issued", { id: job.id, permit: job.permitNumber })}
          action={
            <Button autoFocus type="primary" onClick={onNext} data-testid="next-applicant">
              {t("issue.next")} (Esc)
            </Button>
          }
        />
      )}
    </Card>
  );
}
