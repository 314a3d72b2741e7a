import { IdcardOutlined } from "@ant-design/icons";
import { useTranslation } from "react-i18next";
import type { ui } from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { EmptyScreen } from "./EmptyScreen";

interface Props {
  status: ui.Status | null;
}

/** Card issuing. Needs a logged-in clerk and the printer and encoder. */
export function IssueScreen({ status }: Props) {
  const { t } = useTranslation();
  if (!status?.operator.loggedIn) {
    return <LoginPanel reason={t("empty.loginIssue")} />;
  }
  // NOTE: the window does not open the printer and encoder yet, so issuing
  // runs only through `permitdesk issue`; this screen says so.
  return <EmptyScreen icon={<IdcardOutlined />} title={t("empty.issueTitle")} explanation={t("empty.issueHint")} />;
}
