import { UnorderedListOutlined } from "@ant-design/icons";
import { useTranslation } from "react-i18next";
import { EmptyScreen } from "./EmptyScreen";

/** The station's card jobs. Needs a logged-in operator. */
export function QueueScreen() {
  const { t } = useTranslation();
  return (
    <EmptyScreen icon={<UnorderedListOutlined />} title={t("empty.loginTitle")} explanation={t("empty.loginQueue")} />
  );
}
