// Typed access to the Go methods bound by app/ui. Screens import from here,
// not from wailsjs directly, so a test can replace this one module.
export {
  CardStock,
  CheckDevices,
  ReceiveCardLot,
  SyncNow,
  RunDiagnostics,
  LookupHouseCode,
  HandoverJob,
  Jobs,
  Language,
  Login,
  Logout,
  FindApplications,
  PreviewCard,
  QueueIssue,
  RequeueJob,
  VoidJob,
  SetLanguage,
  StatusSnapshot,
  Version,
} from "../wailsjs/go/ui/App";
export type { ui } from "../wailsjs/go/models";
