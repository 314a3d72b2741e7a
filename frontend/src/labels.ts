// Translations of the codes Go sends (device kinds, states, roles). A code
// without a translation is shown as it is, so nothing is hidden.
import type { TFunction } from "i18next";
import zhCN from "./i18n/zh-CN";

function has<T extends object>(table: T, key: string): key is Extract<keyof T, string> {
  return Object.prototype.hasOwnProperty.call(table, key);
}

export function deviceKindLabel(t: TFunction, id: string): string {
  return has(zhCN.deviceKind, id) ? t(`deviceKind.${id}`) : id;
}

export function deviceStateLabel(t: TFunction, state: string): string {
  return has(zhCN.deviceState, state) ? t(`deviceState.${state}`) : state;
}

export function centralStateLabel(t: TFunction, state: string): string {
  return has(zhCN.centralState, state) ? t(`centralState.${state}`) : state;
}

export function roleLabel(t: TFunction, role: string): string {
  return has(zhCN.role, role) ? t(`role.${role}`) : role;
}

export function jobStateLabel(t: TFunction, state: string): string {
  return has(zhCN.jobState, state) ? t(`jobState.${state}`) : state;
}

export function diagStatusLabel(t: TFunction, status: string): string {
  return has(zhCN.diagStatus, status) ? t(`diagStatus.${status}`) : status;
}

/** Returns the name of a diagnostics device group: a device kind, pcscd, central or storage. */
export function diagDeviceLabel(t: TFunction, device: string): string {
  if (has(zhCN.deviceKind, device)) {
    return t(`deviceKind.${device}`);
  }
  return has(zhCN.diagDevice, device) ? t(`diagDevice.${device}`) : device;
}

const readerRoles = ["encoder", "desk_reader", "psam"];

type DiagChecks = typeof zhCN.diagCheck;
/** Every translation key of a check name, such as diagCheck.printer.ribbon. */
type DiagCheckKey = {
  [D in keyof DiagChecks]: `diagCheck.${D}.${keyof DiagChecks[D] & string}`;
}[keyof DiagChecks];

/**
 * Returns the name of a check or device test by its id, such as
 * printer.ribbon. The checks of the three PC/SC readers share their names.
 */
export function diagCheckLabel(t: TFunction, id: string): string {
  const dot = id.indexOf(".");
  const device = id.slice(0, dot);
  const check = id.slice(dot + 1);
  if (readerRoles.includes(device) && has(zhCN.diagCheck.reader, check)) {
    return t(`diagCheck.reader.${check}`);
  }
  if (has(zhCN.diagCheck, device)) {
    const names = zhCN.diagCheck[device];
    if (has(names, check)) {
      return t(`diagCheck.${device}.${check}` as DiagCheckKey);
    }
  }
  return id;
}

export function rewriteStateLabel(t: TFunction, state: string): string {
  return has(zhCN.rewriteState, state) ? t(`rewriteState.${state}`) : state;
}

export function rewriteChoiceLabel(t: TFunction, choice: string): string {
  return has(zhCN.rewriteChoice, choice) ? t(`rewriteChoice.${choice}`) : choice;
}

export function chipConditionLabel(t: TFunction, condition: string): string {
  return has(zhCN.chipCondition, condition) ? t(`chipCondition.${condition}`) : condition;
}

/** Returns the meaning of an error code from Go, or "" for a code without one. */
export function errorCodeLabel(t: TFunction, code: string): string {
  return has(zhCN.errorCode, code) ? t(`errorCode.${code}`) : "";
}
