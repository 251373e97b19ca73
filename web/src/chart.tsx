import { n } from './format.ts';

export interface Bar {
  key: string;
  label: string;
  value: number;
  /** A CSS class giving the bar its colour; the label and number carry the meaning. */
  tone: string;
}

/**
 * A horizontal bar chart in SVG, readable without colour: each bar has its label and its number
 * written on it, and the figure has a text alternative listing them all.
 */
export function BarChart({ title, bars, testid }: { title: string; bars: Bar[]; testid: string }) {
  // Drawn at 1:1 (14 px text) up to 390 px wide, and scaled down only on narrower screens.
  const row = 28;
  const labelW = 132;
  // Room for the widest figure, "1,000,000 (100 %)" at 14 px, right of a full-length bar.
  const numberW = 130;
  const width = 390;
  const barMax = width - labelW - numberW;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const total = bars.reduce((s, b) => s + b.value, 0);
  const height = Math.max(1, bars.length) * row + 4;
  const alt = `${title}: ${bars.map((b) => `${b.label} ${n(b.value)}`).join(', ')}.`;
  return (
    <figure class="chart" data-testid={testid}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={alt} width={width}>
        <title>{alt}</title>
        {bars.map((b, i) => {
          const w = b.value === 0 ? 0 : Math.max(2, Math.round((b.value / max) * barMax));
          const y = i * row + 2;
          const pct = total > 0 ? Math.round((100 * b.value) / total) : 0;
          return (
            <g data-key={b.key} data-value={b.value}>
              <text
                x={labelW - 8}
                y={y + row / 2}
                text-anchor="end"
                dominant-baseline="middle"
                class="label"
              >
                {b.label}
              </text>
              <rect
                x={labelW}
                y={y + 4}
                width={w}
                height={row - 8}
                rx="3"
                class={`bar ${b.tone}`}
              />
              <text x={labelW + w + 6} y={y + row / 2} dominant-baseline="middle" class="value">
                {n(b.value)}
                {total > 0 ? ` (${pct} %)` : ''}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
