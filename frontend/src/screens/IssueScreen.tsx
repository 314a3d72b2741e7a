import { IdcardOutlined } from "@ant-design/icons";
import { useTranslation } from "react-i18next";
import { EmptyScreen } from "./EmptyScreen";

/** Card issuing. Needs a logged-in clerk. */
export function IssueScreen() {
  const { t } = useTranslation();
  return <EmptyScreen icon={<IdcardOutlined />} title={t("empty.loginTitle")} explanation={t("empty.loginIssue")} />;
}
