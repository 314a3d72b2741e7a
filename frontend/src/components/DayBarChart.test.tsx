import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { axisMax, DayBarChart, type DayCount } from "./DayBarChart";

function days(counts: [number, number][]): DayCount[] {
  return counts.map(([jobs, errors], i) => ({ day: `2026-11-${String(i + 1).padStart(2, "0")}`, jobs, errors }));
}

function height(el: Element): number {
  return Number(el.getAttribute("height"));
}

describe("DayBarChart", () => {
  afterEach(cleanup);

  it("draws a bar for each day with jobs and with errors", () => {
    const data = days([
      [0, 0],
      [4, 1],
      [2, 0],
      [0, 0],
      [8, 2],
    ]);
    render(<DayBarChart days={data} label="打印机" barTitle={(d) => `${d.day}: ${d.jobs}/${d.errors}`} />);
    const chart = screen.getByRole("img", { name: "打印机" });
    expect(chart.querySelectorAll("[data-testid=chart-day]")).toHaveLength(5);
    expect(chart.querySelectorAll("[data-testid=bar-jobs]")).toHaveLength(3);
    expect(chart.querySelectorAll("[data-testid=bar-errors]")).toHaveLength(2);
  });

  it("scales bars to the largest count", () => {
    const data = days([
      [5, 0],
      [10, 5],
    ]);
    render(<DayBarChart days={data} label="c" barTitle={() => ""} height={150} />);
    const [half, full] = screen.getAllByTestId("bar-jobs");
    expect(height(full)).toBeCloseTo(2 * height(half));
    const errors = screen.getByTestId("bar-errors");
    expect(height(errors)).toBeCloseTo(height(half));
    // The tallest bar fills the plot: 150 minus the top and bottom margins.
    expect(height(full)).toBeCloseTo(150 - 6 - 18);
  });

  it("gives each day a tooltip and labels the last day", () => {
    const data = days(Array.from({ length: 30 }, (_, i) => [i % 3, 0] as [number, number]));
    const { container } = render(<DayBarChart days={data} label="c" barTitle={(d) => `${d.day} 任务 ${d.jobs}`} />);
    const titles = [...container.querySelectorAll("g[data-testid=chart-day] > title")].map((t) => t.textContent);
    expect(titles).toHaveLength(30);
    expect(titles[29]).toBe("2026-11-30 任务 2");
    const labels = [...container.querySelectorAll("text")].map((t) => t.textContent);
    expect(labels).toContain("11-30");
    expect(labels.filter((l) => /^\d\d-\d\d$/.test(l ?? "")).length).toBeLessThanOrEqual(6);
  });

  it("draws no bars on days without jobs", () => {
    render(<DayBarChart days={days([[0, 0]])} label="c" barTitle={() => ""} />);
    expect(screen.queryByTestId("bar-jobs")).toBeNull();
    expect(screen.queryByTestId("bar-errors")).toBeNull();
  });
});

describe("axisMax", () => {
  it.each([
    [[[0, 0]], 1],
    [[[3, 1]], 3],
    [[[7, 0]], 10],
    [[[0, 23]], 30],
    [[[150, 2]], 200],
  ] as [[number, number][], number][])("of %j is %d", (counts, want) => {
    expect(axisMax(days(counts))).toBe(want);
  });
});
