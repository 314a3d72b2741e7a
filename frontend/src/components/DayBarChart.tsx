// A bar chart of two counts per day drawn as SVG: jobs and, in front of
// them, errors. It scales to the width of its container through the
// viewBox, so it needs no layout measurement and renders the same in jsdom.

export interface DayCount {
  /** Local date, YYYY-MM-DD. */
  day: string;
  jobs: number;
  errors: number;
}

interface Props {
  days: DayCount[];
  /** Accessible name of the whole chart. */
  label: string;
  /** Tooltip of one day's bars. */
  barTitle: (d: DayCount) => string;
  height?: number;
}

export const jobColour = "#3b82f6";
export const errorColour = "#ef4444";

// The viewBox is about the chart's width on a 1280-pixel window, so the
// 11-unit text shows at about 11 pixels.
const width = 460;
const padLeft = 26;
const padRight = 16;
const padBottom = 18;
const padTop = 6;
const fontSize = 11;

/** Returns the top of the y axis: the largest count rounded up to a tidy step. */
export function axisMax(days: DayCount[]): number {
  const max = Math.max(1, ...days.map((d) => Math.max(d.jobs, d.errors)));
  let step = 10 ** Math.floor(Math.log10(max));
  if (max <= 20) step = 5;
  if (max <= 5) step = 1;
  return Math.ceil(max / step) * step;
}

/** Bar chart of jobs and errors per day, oldest day on the left. */
export function DayBarChart({ days, label, barTitle, height = 160 }: Props) {
  const top = axisMax(days);
  const plotHeight = height - padTop - padBottom;
  const slot = (width - padLeft - padRight) / Math.max(1, days.length);
  const barWidth = Math.max(2, slot * 0.7);
  const y = (n: number) => padTop + plotHeight - (n / top) * plotHeight;
  // About six date labels whatever the period, always including the last day.
  const labelEvery = Math.max(1, Math.ceil(days.length / 6));
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      role="img"
      aria-label={label}
      data-testid="day-bar-chart"
      style={{ display: "block" }}
    >
      <title>{label}</title>
      {[0, top / 2, top].map((v) => (
        <g key={v}>
          <line x1={padLeft} x2={width - padRight} y1={y(v)} y2={y(v)} stroke="#e5e7eb" strokeWidth={1} />
          <text x={padLeft - 4} y={y(v) + 4} fontSize={fontSize} textAnchor="end" fill="#6b7280">
            {Number.isInteger(v) ? v : v.toFixed(1)}
          </text>
        </g>
      ))}
      {days.map((d, i) => {
        const x = padLeft + i * slot + (slot - barWidth) / 2;
        const showLabel = (days.length - 1 - i) % labelEvery === 0;
        return (
          <g key={d.day} data-testid="chart-day" data-day={d.day} data-jobs={d.jobs} data-errors={d.errors}>
            <title>{barTitle(d)}</title>
            {/* A transparent full-height rectangle makes the day's tooltip reachable on empty days. */}
            <rect x={padLeft + i * slot} y={padTop} width={slot} height={plotHeight} fill="transparent" />
            {d.jobs > 0 && (
              <rect
                data-testid="bar-jobs"
                x={x}
                y={y(d.jobs)}
                width={barWidth}
                height={y(0) - y(d.jobs)}
                fill={jobColour}
              />
            )}
            {d.errors > 0 && (
              <rect
                data-testid="bar-errors"
                x={x + barWidth * 0.25}
                y={y(d.errors)}
                width={barWidth * 0.5}
                height={y(0) - y(d.errors)}
                fill={errorColour}
              />
            )}
            {showLabel && (
              <text x={x + barWidth / 2} y={height - 4} fontSize={fontSize} textAnchor="middle" fill="#6b7280">
                {d.day.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
