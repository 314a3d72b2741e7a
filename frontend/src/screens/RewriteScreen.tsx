import { EditOutlined } from "@ant-design/icons";
import { useTranslation } from "react-i18next";
import { EmptyScreen } from "./EmptyScreen";

/** Address rewriting on an existing card. Needs a logged-in technician. */
export function RewriteScreen() {
  const { t } = useTranslation();
  return <EmptyScreen icon={<EditOutlined />} title={t("empty.loginTitle")} explanation={t("empty.loginRewrite")} />;
}
