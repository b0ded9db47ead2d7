// Hand-written SVG charts from the run's own numbers: no dependency, readable diffs.

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2'];

/** Bars grouped by category, one bar per series, each with an optional note above it. */
export function barChart(options: {
  title: string;
  yLabel: string;
  series: string[];
  groups: { label: string; values: ({ value: number; note?: string } | undefined)[] }[];
}): string {
  const width = 960;
  const left = 70;
  const right = 20;
  const top = 60;
  const plotHeight = 300;
  const labelHeight = 110;
  const height = top + plotHeight + labelHeight;
  const max = niceMax(
    Math.max(...options.groups.flatMap((g) => g.values.map((v) => v?.value ?? 0))),
  );
  const groupWidth = (width - left - right) / options.groups.length;
  const barWidth = Math.min(36, (groupWidth * 0.8) / options.series.length);
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight;
  const parts: string[] = [];
  parts.push(
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">${escape(options.title)}</text>`,
  );
  parts.push(...legend(options.series, width / 2, 44));
  for (const tick of ticks(max)) {
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${formatNumber(tick)}</text>`,
    );
  }
  parts.push(
    `<text x="16" y="${top + plotHeight / 2}" font-size="12" transform="rotate(-90 16 ${top + plotHeight / 2})" text-anchor="middle">${escape(options.yLabel)}</text>`,
  );
  options.groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + (groupWidth - barWidth * options.series.length) / 2;
    group.values.forEach((bar, s) => {
      if (!bar) return;
      const x = x0 + s * barWidth;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(bar.value).toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${(top + plotHeight - y(bar.value)).toFixed(1)}" fill="${COLORS[s % COLORS.length]}"><title>${escape(`${group.label}, ${options.series[s]}: ${formatNumber(bar.value)}`)}</title></rect>`,
      );
      if (bar.note)
        parts.push(
          `<text x="${(x + (barWidth - 3) / 2).toFixed(1)}" y="${(y(bar.value) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${escape(bar.note)}</text>`,
        );
    });
    const cx = left + g * groupWidth + groupWidth / 2;
    wrap(group.label, 18).forEach((line, i) => {
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${top + plotHeight + 16 + i * 13}" text-anchor="middle" font-size="10.5">${escape(line)}</text>`,
      );
    });
  });
  parts.push(
    `<line x1="${left}" x2="${width - right}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#333"/>`,
  );
  return svg(width, height, parts);
}

/** Lines over a logarithmic x axis, with an optional dashed limit line. */
export function logLineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: { x: number; y: number }[] }[];
  limit?: { name: string; y: number };
}): string {
  const width = 720;
  const height = 420;
  const left = 70;
  const right = 30;
  const top = 60;
  const bottom = 60;
  const xs = options.series.flatMap((s) => s.points.map((p) => p.x));
  const minX = Math.log10(Math.min(...xs)) - 0.2;
  const maxX = Math.log10(Math.max(...xs)) + 0.2;
  const maxY = niceMax(
    Math.max(options.limit?.y ?? 0, ...options.series.flatMap((s) => s.points.map((p) => p.y))) *
      1.1,
  );
  const x = (value: number) =>
    left + ((Math.log10(value) - minX) / (maxX - minX)) * (width - left - right);
  const y = (value: number) =>
    top + (height - top - bottom) - (value / maxY) * (height - top - bottom);
  const parts: string[] = [];
  parts.push(
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600">${escape(options.title)}</text>`,
  );
  parts.push(
    ...legend(
      [...options.series.map((s) => s.name), ...(options.limit ? [options.limit.name] : [])],
      width / 2,
      44,
    ),
  );
  for (const tick of ticks(maxY)) {
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${formatNumber(tick)}</text>`,
    );
  }
  for (const value of [...new Set(xs)]) {
    parts.push(
      `<line x1="${x(value)}" x2="${x(value)}" y1="${top}" y2="${height - bottom}" stroke="#eee"/>`,
    );
    parts.push(
      `<text x="${x(value)}" y="${height - bottom + 16}" text-anchor="middle" font-size="11">${formatRows(value)}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + width - right) / 2}" y="${height - 16}" text-anchor="middle" font-size="12">${escape(options.xLabel)}</text>`,
  );
  parts.push(
    `<text x="16" y="${(top + height - bottom) / 2}" font-size="12" transform="rotate(-90 16 ${(top + height - bottom) / 2})" text-anchor="middle">${escape(options.yLabel)}</text>`,
  );
  options.series.forEach((series, s) => {
    const color = COLORS[s % COLORS.length];
    const path = series.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
    for (const p of series.points) {
      parts.push(
        `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="4" fill="${color}"><title>${escape(`${series.name} at ${formatRows(p.x)} rows: ${p.y.toFixed(2)}`)}</title></circle>`,
      );
      parts.push(
        `<text x="${(x(p.x) + 6).toFixed(1)}" y="${(y(p.y) - 6).toFixed(1)}" font-size="10">${p.y.toFixed(2)}</text>`,
      );
    }
  });
  if (options.limit) {
    const color = COLORS[options.series.length % COLORS.length];
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(options.limit.y).toFixed(1)}" y2="${y(options.limit.y).toFixed(1)}" stroke="${color}" stroke-dasharray="6 4" stroke-width="1.5"/>`,
    );
  }
  parts.push(
    `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#333"/>`,
  );
  return svg(width, height, parts);
}

function legend(names: string[], center: number, y: number): string[] {
  const widths = names.map((name) => 24 + name.length * 6.2);
  let x = center - widths.reduce((a, b) => a + b, 0) / 2;
  return names.flatMap((name, i) => {
    const out = [
      `<rect x="${x.toFixed(1)}" y="${y - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${(x + 16).toFixed(1)}" y="${y + 1}" font-size="11">${escape(name)}</text>`,
    ];
    x += widths[i];
    return out;
  });
}

function svg(width: number, height: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT}>\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10])
    if (step * power >= value) return step * power;
  return 10 * power;
}

function ticks(max: number): number[] {
  return Array.from({ length: 6 }, (_, i) => (max * i) / 5);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && (line + ' ' + word).length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function formatNumber(value: number): string {
  return value >= 100
    ? Math.round(value).toLocaleString('en')
    : String(Number(value.toPrecision(3)));
}

function formatRows(value: number): string {
  if (value >= 1e6) return `${value / 1e6}M`;
  if (value >= 1e3) return `${value / 1e3}k`;
  return String(value);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
