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
  Row,
  Space,
  Spin,
  Table,
  Tooltip,
  Typography,
} from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { FindApplications, PreviewCard, QueueIssue, ReadIDCard, type ui } from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { useShowError } from "../errors";
import i18n from "../i18n";
import { useWedge } from "../useWedge";

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
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<ui.ApplicationView[] | null>(null);
  const [chosen, setChosen] = useState<ui.ApplicationView | null>(null);
  const [searching, setSearching] = useState(false);
  const [queued, setQueued] = useState<ui.JobView | null>(null);

  const search = useCallback(
    (text: string) => {
      setSearching(true);
      setQueued(null);
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
    setReading(true);
    ReadIDCard()
      .then((id) => {
        setQuery(id.idNumber);
        search(id.idNumber);
      })
      .catch((reason: unknown) => showError(i18n.t("error.readIdCard"), reason))
      .finally(() => setReading(false));
  };

  useWedge((code) => {
    setQuery(code);
    search(code);
  });

  const issue = (app: ui.ApplicationView) => {
    QueueIssue(app.id)
      .then(setQueued)
      .catch((reason: unknown) => showError(i18n.t("error.queueIssue"), reason));
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t("issue.title")}
      </Typography.Title>
      <Space.Compact style={{ maxWidth: 640, width: "100%" }}>
        <Input
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
            {t("issue.readIdCard")}
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
      {chosen && <ApplicationCard app={chosen} onIssue={issue} queued={queued} />}
    </Space>
  );
}

interface CardProps {
  app: ui.ApplicationView;
  onIssue: (app: ui.ApplicationView) => void;
  queued: ui.JobView | null;
}

function ApplicationCard({ app, onIssue, queued }: CardProps) {
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
  const issueButton = queued ? null : (
    // The button takes the focus, so after a scan the clerk checks the data
    // and the preview and presses Enter to issue.
    <Button autoFocus type="primary" icon={<IdcardOutlined />} onClick={() => onIssue(app)} data-testid="issue-button">
      {t("issue.issueButton")}
    </Button>
  );
  return (
    <Card size="small" title={`${t("issue.application")} ${app.id} · ${app.name}`} extra={issueButton}>
      {queued && (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 12 }}
          message={t("issue.queued", { id: queued.id })}
          description={t("issue.queuedHint", { application: queued.applicationId })}
          action={
            <Button size="small" onClick={() => (window.location.hash = "/queue")}>
              {t("issue.toQueue")}
            </Button>
          }
        />
      )}
      <Row gutter={24} wrap={false}>
        <Col flex="120px">
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
        <Col flex="290px">
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
