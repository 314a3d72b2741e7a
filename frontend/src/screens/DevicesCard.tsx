import { ExperimentOutlined, ReloadOutlined, SearchOutlined } from "@ant-design/icons";
import { Alert, App, Button, Card, Select, Space, Table, Tag, Typography } from "antd";
import type { TFunction } from "i18next";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import {
  AssignDevice,
  CheckDevices,
  ClearDeviceOverride,
  DeviceSettings,
  FoundDevices,
  RunDiagnostics,
  type ui,
} from "../bridge";
import { stateColour } from "../components/StatusBar";
import { findingText } from "../diagnostics/findings";
import { useShowError } from "../errors";
import i18n from "../i18n";
import { deviceKindLabel, deviceStateLabel } from "../labels";

/** Roles that may assign devices; Go checks the same (app/overrides). */
const assignRoles = ["technician", "supervisor"];

/** A device of the found list as a choice for one slot. */
export interface FoundOption {
  /** Unique among the options: the transport and the path or name. */
  value: string;
  label: string;
  transport: string;
  choice: ui.DeviceChoice;
  /** The serial port, for matching a port pinned by USB serial number. */
  port?: ui.FoundSerialPort;
}

function choice(transport: string, fields: Partial<ui.DeviceChoice>): ui.DeviceChoice {
  return { transport, reader: "", port: "", usbSerial: "", vendorId: "", productId: "", serial: "", ...fields };
}

/** Turns the found devices into options, with their details in the label. */
export function foundOptions(found: ui.FoundDevicesView, t: TFunction): FoundOption[] {
  const serialNumber = (value: string) => (value ? t("settings.serialNumber", { value }) : "");
  const join = (parts: string[]) => parts.filter((p) => p !== "").join(" · ");
  const options: FoundOption[] = found.readers.map((name) => ({
    value: `pcsc:${name}`,
    label: name,
    transport: "pcsc",
    choice: choice("pcsc", { reader: name }),
  }));
  for (const p of found.serialPorts) {
    const usb = p.usb ? join([`USB ${p.vendorId}:${p.productId}`, serialNumber(p.serialNumber), p.product]) : "";
    options.push({
      value: `serial:${p.path}`,
      label: join([p.path, p.device ? `→ ${p.device}` : "", usb]),
      transport: "serial",
      choice: choice("serial", { port: p.path }),
      port: p,
    });
  }
  for (const d of found.hid) {
    options.push({
      value: `hid:${d.path}`,
      label: join([`${d.vendorId}:${d.productId}`, serialNumber(d.serial), join([d.manufacturer, d.product]), d.path]),
      transport: "hid",
      choice: choice("hid", { vendorId: d.vendorId, productId: d.productId, serial: d.serial }),
    });
  }
  return options;
}

/** Returns the option of the device a slot uses now, if it was found. */
export function currentOption(current: ui.DeviceChoice, options: FoundOption[]): FoundOption | undefined {
  return options.find((o) => {
    if (o.transport !== current.transport) {
      return false;
    }
    switch (current.transport) {
      case "pcsc":
        return o.choice.reader === current.reader;
      case "serial":
        if (current.usbSerial) {
          return o.port?.usb === true && !o.port.device && o.port.serialNumber === current.usbSerial;
        }
        return o.choice.port === current.port;
      case "hid":
        return (
          o.choice.vendorId === current.vendorId &&
          o.choice.productId === current.productId &&
          o.choice.serial === current.serial
        );
    }
    return false;
  });
}

interface Row {
  device: ui.DeviceStatus;
  slot?: ui.DeviceSlotView;
}

/**
 * Renders the device table of the Settings screen. Each row shows the
 * device's state, the configuration file's device, the one assigned on this
 * station and a test button. Technicians and supervisors also choose among
 * the devices found.
 */
export function DevicesCard({ status }: { status: ui.Status | null }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const showError = useShowError();
  const [checking, setChecking] = useState(false);
  const [view, setView] = useState<ui.DeviceSettingsView | null>(null);
  const [found, setFound] = useState<ui.FoundDevicesView | null>(null);
  const [findTick, setFindTick] = useState(0);
  const [picked, setPicked] = useState<Record<string, string | undefined>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const role = status?.operator.role ?? "";
  const canAssign = assignRoles.includes(role) && view?.assignable === true;

  useEffect(() => {
    let live = true;
    DeviceSettings()
      .then((v) => live && setView(v))
      .catch((reason: unknown) => live && showError(i18n.t("error.loadDeviceSettings"), reason));
    return () => {
      live = false;
    };
  }, [role, showError]);

  useEffect(() => {
    if (!canAssign) {
      return;
    }
    let live = true;
    FoundDevices()
      .then((f) => live && setFound(f))
      .catch((reason: unknown) => live && showError(i18n.t("error.findDevices"), reason));
    return () => {
      live = false;
    };
  }, [canAssign, findTick, showError]);

  const options = useMemo(() => (found ? foundOptions(found, t) : []), [found, t]);
  const label = (id: string) => deviceKindLabel(t, id);

  const checkAll = () => {
    setChecking(true);
    CheckDevices()
      .then(() => message.success(t("settings.checked")))
      .catch((reason: unknown) => showError(i18n.t("error.checkDevices"), reason))
      .finally(() => setChecking(false));
  };

  // Runs this device's diagnostic checks and shows the result. Then it reads
  // the states from the registry again, so the table and status bar follow.
  const test = (id: string) => {
    setBusy(`test:${id}`);
    RunDiagnostics([id])
      .then((report) => {
        void showTestResult(id, report);
        return CheckDevices();
      })
      .catch((reason: unknown) => showError(i18n.t("error.testDevice"), reason))
      .finally(() => setBusy(null));
  };

  const showTestResult = (id: string, report: ui.DiagnosticsReport) => {
    const device = label(id);
    const find = (status: string) => report.checks.find((c) => c.status === status);
    // With nothing passed, a skipped check gives the reason (such as no device set).
    const worst = find("fail") ?? find("warn") ?? (report.pass === 0 ? find("skip") : undefined);
    if (!worst) {
      return message.success(t("settings.testPassed", { device, count: report.pass }));
    }
    const text = findingText(worst, i18n.language);
    const args = { device, pass: report.pass, warn: report.warn, fail: report.fail, reason: text.reason };
    const summary = t("settings.testFound", args);
    const content = text.fix ? `${summary} ${t("settings.testFix", { fix: text.fix })}` : summary;
    if (worst.status === "fail") {
      return message.error(content, 8);
    }
    return worst.status === "warn" ? message.warning(content, 8) : message.info(content, 8);
  };

  const apply = (slot: string) => {
    const option = options.find((o) => o.value === picked[slot]);
    if (!option) {
      return;
    }
    setBusy(`apply:${slot}`);
    AssignDevice(slot, option.choice)
      .then((v) => {
        setView(v);
        setPicked((p) => ({ ...p, [slot]: undefined }));
        const value = v.slots.find((s) => s.slot === slot)?.override ?? option.label;
        void message.success(t("settings.assigned", { device: label(slot), value }));
      })
      .catch((reason: unknown) => showError(i18n.t("error.assignDevice"), reason))
      .finally(() => setBusy(null));
  };

  const clear = (slot: string) => {
    setBusy(`clear:${slot}`);
    ClearDeviceOverride(slot)
      .then((v) => {
        setView(v);
        setPicked((p) => ({ ...p, [slot]: undefined }));
        void message.success(t("settings.cleared", { device: label(slot) }));
      })
      .catch((reason: unknown) => showError(i18n.t("error.clearDevice"), reason))
      .finally(() => setBusy(null));
  };

  const rows: Row[] = (status?.devices ?? []).map((device) => ({
    device,
    slot: view?.slots.find((s) => s.slot === device.id),
  }));

  const chooser = (row: Row) => {
    const slot = row.slot;
    if (!slot) {
      return null;
    }
    const mine = options.filter((o) => slot.transports.includes(o.transport));
    const current = currentOption(slot.current, mine);
    const value = picked[slot.slot] ?? current?.value;
    const missing = slot.current.transport !== "" && !current;
    const changed = picked[slot.slot] !== undefined && picked[slot.slot] !== current?.value;
    return (
      <Space size="small">
        <Select<string>
          aria-label={t("settings.chooseDevice", { device: label(slot.slot) })}
          data-testid={`device-select-${slot.slot}`}
          style={{ width: 220 }}
          popupMatchSelectWidth={false}
          value={value}
          placeholder={
            missing
              ? t("settings.currentMissing", { value: slot.override || slot.file })
              : t("settings.choosePlaceholder")
          }
          notFoundContent={t("settings.noneFound")}
          options={mine.map((o) => ({ value: o.value, label: o.label }))}
          onChange={(v) => setPicked((p) => ({ ...p, [slot.slot]: v }))}
        />
        <Button
          type="primary"
          aria-label={t("settings.applyLabel", { device: label(slot.slot) })}
          disabled={!changed}
          loading={busy === `apply:${slot.slot}`}
          onClick={() => apply(slot.slot)}
        >
          {t("settings.apply")}
        </Button>
        {slot.override && (
          <Button
            aria-label={t("settings.clearLabel", { device: label(slot.slot) })}
            loading={busy === `clear:${slot.slot}`}
            onClick={() => clear(slot.slot)}
          >
            {t("settings.clear")}
          </Button>
        )}
      </Space>
    );
  };

  const columns = [
    {
      title: t("settings.deviceColumn"),
      key: "device",
      width: 130,
      render: (_: unknown, r: Row) => label(r.device.id),
    },
    {
      title: t("settings.stateColumn"),
      key: "state",
      width: 170,
      render: (_: unknown, r: Row) => (
        <Space direction="vertical" size={0}>
          <Tag color={stateColour[r.device.state]}>{deviceStateLabel(t, r.device.state)}</Tag>
          <Typography.Text>{r.device.name || t("settings.notConfiguredName")}</Typography.Text>
          {r.device.detail && <Typography.Text type="secondary">{r.device.detail}</Typography.Text>}
        </Space>
      ),
    },
    {
      title: t("settings.fileColumn"),
      key: "file",
      render: (_: unknown, r: Row) => r.slot?.file || t("settings.fileEmpty"),
    },
    {
      title: t("settings.overrideColumn"),
      key: "override",
      onHeaderCell: () => ({ style: { whiteSpace: "nowrap" as const } }),
      render: (_: unknown, r: Row) =>
        r.slot?.override ? (
          <Space direction="vertical" size={0} data-testid={`device-override-${r.device.id}`}>
            <Typography.Text strong>{r.slot.override}</Typography.Text>
            <Typography.Text type="secondary">
              {t("settings.overriddenBy", {
                login: r.slot.setBy,
                time: new Date(r.slot.setAt).toLocaleString(i18n.language),
              })}
            </Typography.Text>
          </Space>
        ) : (
          t("settings.notConfiguredName")
        ),
    },
    ...(canAssign
      ? [{ title: t("settings.chooseColumn"), key: "choose", render: (_: unknown, r: Row) => chooser(r) }]
      : []),
    {
      title: t("settings.test"),
      key: "test",
      render: (_: unknown, r: Row) => (
        <Button
          icon={<ExperimentOutlined />}
          aria-label={t("settings.testLabel", { device: label(r.device.id) })}
          loading={busy === `test:${r.device.id}`}
          onClick={() => test(r.device.id)}
        >
          {t("settings.test")}
        </Button>
      ),
    },
  ];

  const listErrors = found
    ? [
        { source: t("settings.sourcePcsc"), reason: found.readersError },
        { source: t("settings.sourceSerial"), reason: found.serialError },
        { source: t("settings.sourceHid"), reason: found.hidError },
      ].filter((e) => e.reason !== "")
    : [];

  return (
    <Card
      title={t("settings.devicesSection")}
      size="small"
      extra={
        <Space>
          {canAssign && (
            <Button icon={<SearchOutlined />} onClick={() => setFindTick((n) => n + 1)}>
              {t("settings.findDevicesAgain")}
            </Button>
          )}
          <Button icon={<ReloadOutlined />} loading={checking} onClick={checkAll}>
            {t("settings.checkDevices")}
          </Button>
        </Space>
      }
    >
      {/* The notes sit in their own Space: one appearing must not shift the
          table's position and remount it, which would drop the focus. */}
      <Space direction="vertical" style={{ width: "100%", marginBottom: 12 }}>
        {canAssign && <Typography.Paragraph type="secondary">{t("settings.assignHint")}</Typography.Paragraph>}
        {view && view.restartNeeded.length > 0 && (
          <Alert
            type="warning"
            showIcon
            data-testid="device-restart-needed"
            message={t("settings.restartNeeded", {
              devices: view.restartNeeded.map(label).join(t("settings.listSeparator")),
            })}
          />
        )}
        {view?.problem && (
          <Alert type="error" showIcon message={t("settings.overrideProblem")} description={view.problem} />
        )}
        {canAssign &&
          listErrors.map((e) => <Alert key={e.source} type="info" showIcon message={t("settings.listFailed", e)} />)}
      </Space>
      <Table<Row> size="small" pagination={false} rowKey={(r) => r.device.id} dataSource={rows} columns={columns} />
    </Card>
  );
}
