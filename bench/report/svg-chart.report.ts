import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SystemName } from '../systems/system-names';
import { formatRateShort } from './number-format';

/** One bar: a system's jobs/s in one case, or why there is none. */
export interface ChartBar {
  system: SystemName;
  value: number | null;
  /** Shown instead of a bar when value is null: "not available", "failed", "n/a". */
  missing?: string;
}

/** One group of bars: one case of one scenario, e.g. "consume · c=50". */
export interface ChartGroup {
  title: string;
  bars: ChartBar[];
}

export interface ChartSpec {
  title: string;
  subtitle: string;
  groups: ChartGroup[];
  footer: string[];
}

/** Ours in strong colours, their peers and ceilings next to them in related lighter ones. */
const COLORS: Record<SystemName, string> = {
  local: '#2f6db5',
  'local-file': '#1c8a7a',
  redis: '#c8372d',
  'redis-prefetch': '#8f1d16',
  'redis-wait': '#e07a5f',
  rabbitmq: '#e07b00',
  bullmq: '#7b4ea3',
  'bee-queue': '#b08fd0',
  'raw-ioredis': '#d9918b',
  'raw-amqplib': '#f2bd6b',
};

const WIDTH = 1000;
const LABEL_RIGHT = 150;
const PLOT_LEFT = 160;
const PLOT_RIGHT = 900;
const BAR_HEIGHT = 15;
const BAR_GAP = 4;
const GROUP_TITLE_HEIGHT = 24;
const GROUP_GAP = 12;
const TOP = 96;
const FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'";

/**
 * A grouped horizontal bar chart of throughput, hand-written SVG (no dependencies): one group per case,
 * one labelled bar per system, on a log scale (the systems span orders of magnitude), each bar with
 * its value at its end.
 */
export function renderThroughputChart(spec: ChartSpec): string {
  const values = spec.groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v): v is number => v !== null && v > 0);
  // One decade below the smallest value when it sits near the bottom of its decade, so short bars stay visible.
  const smallest = Math.min(...values, 1000);
  const low = Math.pow(10, Math.floor(Math.log10(smallest)) - (smallest / Math.pow(10, Math.floor(Math.log10(smallest))) < 3 ? 1 : 0));
  const high = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 10_000) * 1.05)));
  const x = (v: number): number =>
    PLOT_LEFT + ((Math.log10(v) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (PLOT_RIGHT - PLOT_LEFT);

  const groupsHeight = spec.groups.reduce((sum, g) => sum + GROUP_TITLE_HEIGHT + g.bars.length * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP, 0);
  const plotBottom = TOP + groupsHeight;
  const height = plotBottom + 40 + spec.footer.length * 16 + 12;
  const out: string[] = [];
  out.push(
    `<svg xmlns='http://www.w3.org/2000/svg' width='${WIDTH}' height='${height}' viewBox='0 0 ${WIDTH} ${height}' ${FONT} font-size='12'>`,
  );
  out.push(`<rect width='100%' height='100%' fill='#ffffff'/>`);
  out.push(text(20, 28, spec.title, "font-size='18' font-weight='bold'"));
  out.push(text(20, 48, spec.subtitle, "fill='#555'"));

  // Gridlines at every power of ten (labelled) and at 2× and 5× (faint), top and bottom labels.
  for (let decade = low; decade <= high; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const v = decade * step;
      if (v > high) break;
      const gx = x(v).toFixed(1);
      out.push(`<line x1='${gx}' y1='${TOP - 8}' x2='${gx}' y2='${plotBottom}' stroke='${step === 1 ? '#c8c8c8' : '#ececec'}'/>`);
      if (step === 1) {
        out.push(text(x(v), TOP - 14, tickLabel(v), "text-anchor='middle' fill='#555'"));
        out.push(text(x(v), plotBottom + 16, tickLabel(v), "text-anchor='middle' fill='#555'"));
      }
    }
  }
  out.push(
    text(
      (PLOT_LEFT + PLOT_RIGHT) / 2,
      plotBottom + 32,
      'jobs per second (log scale) — longer is better',
      "text-anchor='middle' fill='#333'",
    ),
  );

  let y = TOP;
  for (const group of spec.groups) {
    out.push(text(20, y + 16, group.title, "font-size='13' font-weight='bold'"));
    y += GROUP_TITLE_HEIGHT;
    for (const bar of group.bars) {
      const mid = y + BAR_HEIGHT / 2 + 4;
      out.push(text(LABEL_RIGHT, mid, bar.system, "text-anchor='end'"));
      if (bar.value !== null && bar.value > 0) {
        const end = x(Math.max(bar.value, low));
        out.push(
          `<rect x='${PLOT_LEFT}' y='${y}' width='${(end - PLOT_LEFT).toFixed(1)}' height='${BAR_HEIGHT}' fill='${COLORS[bar.system]}'><title>${escapeXml(`${bar.system}: ${Math.round(bar.value)} jobs/s`)}</title></rect>`,
        );
        out.push(text(end + 5, mid, formatRateShort(bar.value), "fill='#222'"));
      } else {
        out.push(text(PLOT_LEFT + 5, mid, bar.missing ?? 'no data', "fill='#888' font-style='italic'"));
      }
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += GROUP_GAP;
  }

  let fy = plotBottom + 56;
  for (const line of spec.footer) {
    // A line starting with spaces continues the one above it: indent it (SVG collapses the spaces).
    const indented = line.startsWith(' ');
    out.push(text(indented ? 40 : 20, fy, line.trim(), "fill='#444' font-size='11'"));
    fy += 16;
  }
  out.push('</svg>');
  return `${out.filter(Boolean).join('\n')}\n`;
}

/** Writes <dir>/latest.svg; returns its path. */
export function writeChart(dir: string, svg: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'latest.svg');
  writeFileSync(path, svg);
  return path;
}

/** 100, 1k, 10k, 1M: powers of ten without a decimal. */
function tickLabel(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

function text(x: number, y: number, content: string, attributes: string): string {
  if (!content) return '';
  return `<text x='${x.toFixed(1)}' y='${y.toFixed(1)}' ${attributes}>${escapeXml(content)}</text>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}
