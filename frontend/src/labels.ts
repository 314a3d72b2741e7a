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

export function rewriteStateLabel(t: TFunction, state: string): string {
  return has(zhCN.rewriteState, state) ? t(`rewriteState.${state}`) : state;
}

export function rewriteChoiceLabel(t: TFunction, choice: string): string {
  return has(zhCN.rewriteChoice, choice) ? t(`rewriteChoice.${choice}`) : choice;
}

export function chipConditionLabel(t: TFunction, condition: string): string {
  return has(zhCN.chipCondition, condition) ? t(`chipCondition.${condition}`) : condition;
}
