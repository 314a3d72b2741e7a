import { SendOutlined } from "@ant-design/icons";
import { App, Button, Card, Checkbox, Input, List, Select, Space, Tabs, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { DiagnosticActions, RunDiagnosticAction, SendAPDU, SendPrinterCommand, type ui } from "../../bridge";
import { swMeaningZh } from "../../diagnostics/findings";
import { sendWithConfirmation } from "../../diagnostics/report";
import { useShowError } from "../../errors";
import i18n from "../../i18n";
import { deviceKindLabel, diagCheckLabel } from "../../labels";
import { CheckItem } from "./CheckText";

/**
 * Returns a function that requests the operator's confirmation of a command,
 * showing the command and the service's message, and resolves to the choice.
 */
function useConfirm(): (command: string, message: string) => Promise<boolean> {
  const { modal } = App.useApp();
  return useCallback(
    (command: string, message: string) =>
      new Promise<boolean>((resolve) => {
        modal.confirm({
          title: i18n.t("diagnostics.confirmTitle"),
          content: (
            <Space direction="vertical" data-testid="confirm-command">
              <Typography.Text>{i18n.t("diagnostics.confirmBody")}</Typography.Text>
              <Typography.Text code>{command}</Typography.Text>
              <Typography.Text type="secondary">{i18n.t("diagnostics.serverMessage", { message })}</Typography.Text>
            </Space>
          ),
          okText: i18n.t("diagnostics.confirmOk"),
          cancelText: i18n.t("diagnostics.cancel"),
          onOk: () => resolve(true),
          onCancel: () => resolve(false),
        });
      }),
    [modal],
  );
}

/** Renders the technician's device tests, APDU console and printer console in tabs. */
export function Consoles() {
  const { t } = useTranslation();
  return (
    <Card size="small" title={t("diagnostics.consoles")} data-testid="diagnostics-consoles">
      <Tabs
        items={[
          { key: "actions", label: t("diagnostics.tabActions"), children: <ActionsPanel /> },
          { key: "apdu", label: t("diagnostics.tabApdu"), children: <APDUConsole /> },
          { key: "printer", label: t("diagnostics.tabPrinter"), children: <PrinterConsole /> },
        ]}
      />
    </Card>
  );
}

function ActionsPanel() {
  const { t } = useTranslation();
  const showError = useShowError();
  const confirm = useConfirm();
  const [actions, setActions] = useState<string[]>([]);
  const [running, setRunning] = useState<string | null>(null);
  const [results, setResults] = useState<Record<string, ui.DiagnosticCheck>>({});
  useEffect(() => {
    let live = true;
    DiagnosticActions()
      .then((list) => live && setActions(list))
      .catch((reason: unknown) => live && showError(i18n.t("error.diagnosticAction"), reason));
    return () => {
      live = false;
    };
  }, [showError]);
  const run = (action: string) => {
    setRunning(action);
    sendWithConfirmation(
      (confirmed) => RunDiagnosticAction({ action, confirm: confirmed, timeoutMs: 0 }),
      (message) => confirm(diagCheckLabel(i18n.t, action), message),
    )
      .then((c) => c && setResults((r) => ({ ...r, [action]: c })))
      .catch((reason: unknown) => showError(i18n.t("error.diagnosticAction"), reason))
      .finally(() => setRunning(null));
  };
  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Typography.Text type="secondary">{t("diagnostics.actionsHint")}</Typography.Text>
      <List
        size="small"
        dataSource={actions}
        renderItem={(action) => (
          <List.Item
            data-testid={`action-${action}`}
            actions={[
              <Button
                key="run"
                size="small"
                loading={running === action}
                disabled={running !== null && running !== action}
                onClick={() => run(action)}
              >
                {t("diagnostics.runAction")}
              </Button>,
            ]}
          >
            {results[action] ? (
              <CheckItem check={results[action]} />
            ) : (
              <Typography.Text>{diagCheckLabel(t, action)}</Typography.Text>
            )}
          </List.Item>
        )}
      />
    </Space>
  );
}

/** One exchange shown in a console's history, newest first. */
interface APDUEntry {
  id: number;
  result: ui.APDUResponse;
}

function swText(sw: string, meaning: string, language: string): string {
  const zh = language === "zh-CN" ? swMeaningZh(sw) : null;
  return zh ? `${zh}（${meaning}）` : meaning;
}

function APDUConsole() {
  const { t, i18n: i18next } = useTranslation();
  const showError = useShowError();
  const confirm = useConfirm();
  const [reader, setReader] = useState("encoder");
  const [hex, setHex] = useState("");
  const [raw, setRaw] = useState(false);
  const [sending, setSending] = useState(false);
  const [history, setHistory] = useState<APDUEntry[]>([]);
  const send = () => {
    const command = hex.trim();
    if (command === "") {
      return;
    }
    setSending(true);
    sendWithConfirmation(
      (confirmed) => SendAPDU({ reader, hex: command, confirm: confirmed, raw }),
      (message) => confirm(command, message),
    )
      .then((result) => result && setHistory((h) => [{ id: h.length + 1, result }, ...h]))
      .catch((reason: unknown) => showError(i18n.t("error.apdu"), reason))
      .finally(() => setSending(false));
  };
  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Typography.Text type="secondary">{t("diagnostics.apduHint")}</Typography.Text>
      <Space wrap>
        <Select
          aria-label={t("diagnostics.apduReader")}
          value={reader}
          onChange={setReader}
          style={{ width: 200 }}
          options={["encoder", "desk_reader", "psam"].map((r) => ({
            value: r,
            label: deviceKindLabel(t, r),
          }))}
        />
        <Input
          aria-label={t("diagnostics.apduHex")}
          placeholder="00 A4 00 00 02 3F 00 00"
          value={hex}
          onChange={(e) => setHex(e.target.value)}
          onPressEnter={send}
          style={{ width: 360, fontFamily: "monospace" }}
          data-testid="apdu-input"
        />
        <Checkbox checked={raw} onChange={(e) => setRaw(e.target.checked)}>
          {t("diagnostics.apduRaw")}
        </Checkbox>
        <Button type="primary" icon={<SendOutlined />} loading={sending} onClick={send} data-testid="apdu-send">
          {t("diagnostics.send")}
        </Button>
      </Space>
      <List
        size="small"
        bordered
        data-testid="apdu-history"
        locale={{ emptyText: t("diagnostics.noHistory") }}
        dataSource={history}
        renderItem={({ id, result }) => (
          <List.Item key={id} data-testid="apdu-entry" data-sw={result.sw}>
            <Space direction="vertical" size={0} style={{ fontFamily: "monospace" }}>
              <Typography.Text>
                &gt; {result.command} <Typography.Text type="secondary">({result.reader})</Typography.Text>
              </Typography.Text>
              <Typography.Text>
                &lt; {result.data && `${result.data} `}
                <Tag color={result.sw === "9000" ? "success" : "warning"}>{result.sw}</Tag>
                <span data-testid="apdu-meaning">{swText(result.sw, result.meaning, i18next.language)}</span>
                {result.changes && <Tag color="orange">{t("diagnostics.changes")}</Tag>}
              </Typography.Text>
            </Space>
          </List.Item>
        )}
      />
    </Space>
  );
}

interface PrinterEntry {
  id: number;
  result: ui.PrinterReply;
}

function PrinterConsole() {
  const { t } = useTranslation();
  const showError = useShowError();
  const confirm = useConfirm();
  const [command, setCommand] = useState("");
  const [sending, setSending] = useState(false);
  const [history, setHistory] = useState<PrinterEntry[]>([]);
  const send = () => {
    const text = command.trim();
    if (text === "") {
      return;
    }
    setSending(true);
    sendWithConfirmation(
      (confirmed) => SendPrinterCommand({ command: text, confirm: confirmed }),
      (message) => confirm(text, message),
    )
      .then((result) => result && setHistory((h) => [{ id: h.length + 1, result }, ...h]))
      .catch((reason: unknown) => showError(i18n.t("error.printerCommand"), reason))
      .finally(() => setSending(false));
  };
  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Typography.Text type="secondary">{t("diagnostics.printerHint")}</Typography.Text>
      <Space>
        <Input
          aria-label={t("diagnostics.printerInput")}
          placeholder="Rco;l"
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          onPressEnter={send}
          style={{ width: 360, fontFamily: "monospace" }}
          data-testid="printer-input"
        />
        <Button type="primary" icon={<SendOutlined />} loading={sending} onClick={send} data-testid="printer-send">
          {t("diagnostics.send")}
        </Button>
      </Space>
      <List
        size="small"
        bordered
        data-testid="printer-history"
        locale={{ emptyText: t("diagnostics.noHistory") }}
        dataSource={history}
        renderItem={({ id, result }) => (
          <List.Item key={id} data-testid="printer-entry">
            <Space direction="vertical" size={0} style={{ fontFamily: "monospace" }}>
              <Typography.Text>&gt; {result.command}</Typography.Text>
              {result.error ? (
                <Typography.Text type="danger">
                  &lt; {t("diagnostics.printerError", { code: result.code, error: result.error })}
                </Typography.Text>
              ) : (
                <Typography.Text>
                  &lt; {result.reply}
                  {result.changes && <Tag color="orange">{t("diagnostics.changes")}</Tag>}
                </Typography.Text>
              )}
            </Space>
          </List.Item>
        )}
      />
    </Space>
  );
}
