import { EditOutlined } from "@ant-design/icons";
import { useTranslation } from "react-i18next";
import type { ui } from "../bridge";
import { LoginPanel } from "../components/LoginPanel";
import { EmptyScreen } from "./EmptyScreen";

interface Props {
  status: ui.Status | null;
}

/** Address rewriting on an existing card. Needs a logged-in technician. */
export function RewriteScreen({ status }: Props) {
  const { t } = useTranslation();
  if (!status?.operator.loggedIn) {
    return <LoginPanel reason={t("empty.loginRewrite")} />;
  }
  return <EmptyScreen icon={<EditOutlined />} title={t("empty.rewriteTitle")} explanation={t("empty.rewriteHint")} />;
}
