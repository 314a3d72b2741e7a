import { Result, Typography } from "antd";
import type { ReactNode } from "react";

interface Props {
  title: string;
  explanation: string;
  icon?: ReactNode;
  extra?: ReactNode;
}

/** A screen that cannot work yet and says what it needs. */
export function EmptyScreen({ title, explanation, icon, extra }: Props) {
  return (
    <Result
      icon={icon}
      status="info"
      title={title}
      subTitle={<Typography.Paragraph style={{ maxWidth: 640, margin: "0 auto" }}>{explanation}</Typography.Paragraph>}
      extra={extra}
    />
  );
}
