/**
 * The dashboard (contract §9, §10) for town, county and city: the figures of `GET /stats` for a chosen
 * period, with charts of reports and resolutions by day, on-time and on-the-spot rates and overdue open
 * incidents by town, community or grid, and incidents by category. Loaded only when opened: ECharts stays
 * out of the queue's first load.
 */
import { Button } from 'antd';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { call, type Stats, type StatsQuery } from '../api/client';
import { useApp, useSession } from '../app-context';
import { Chart, type ChartOption } from '../components/Chart';
import { LoadError } from '../components/common';
import type { Messages } from '../i18n/messages';
import { zonedDate, zonedToUtc } from '../lib/format';
import { useLoad } from '../lib/hooks';

const GROUP_BYS: GroupBy[] = ['town', 'community', 'grid', 'category'];
const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;

type GroupBy = NonNullable<StatsQuery['groupBy']>;
type Day = NonNullable<Stats['series']>[number];

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
const pct = (r: number | null | undefined) => (r === null || r === undefined ? null : Math.round(r * 1000) / 10);

export default function DashboardPage() {
  const { t, api, timeZone, names } = useApp();
  const { claims } = useSession();
  const [params, setParams] = useSearchParams();
  const today = zonedDate(new Date(), timeZone);
  const [from, setFrom] = useState(params.get('from') ?? addDays(today, -(DEFAULT_DAYS - 1)));
  const [to, setTo] = useState(params.get('to') ?? today);
  const groupBy = (GROUP_BYS as string[]).includes(params.get('groupBy') ?? '') ? params.get('groupBy') as GroupBy
    : claims.role === 'town' ? 'grid' : 'town';
  const span = daysBetween(from, to);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && span >= 1 && span <= MAX_DAYS;
  const [period, setPeriod] = useState({ from, to });

  const [stats, reload] = useLoad(async () => {
    // Whole days of the county's time zone: the API counts from `from`'s day to `to`'s day.
    const query: StatsQuery = { from: zonedToUtc(`${period.from}T00:00`, timeZone)!, to: zonedToUtc(`${period.to}T00:00`, timeZone)!, groupBy, series: 'day' };
    return call(api.GET('/stats', { params: { query } }));
  }, `${period.from}|${period.to}|${groupBy}`);

  const apply = () => {
    if (!valid) return;
    setPeriod({ from, to });
    setParams((p) => { p.set('from', from); p.set('to', to); return p; }, { replace: true });
  };

  const s = stats.data;
  const groupLabel = t.groupByOptions[groupBy];
  const charts = useMemo(() => (s ? chartOptions(s, t, groupLabel, names.category) : null), [s, t, groupLabel, names]);

  return (
    <>
      <div className="page-head"><h1>{t.dashboardTitle}</h1></div>
      <form className="panel filters" onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <div className="field">
          <label htmlFor="d-from">{t.from}</label>
          <input id="d-from" type="date" className="date-input" value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="d-to">{t.to}</label>
          <input id="d-to" type="date" className="date-input" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="d-group">{t.groupBy}</label>
          <select id="d-group" className="select" value={groupBy}
            onChange={(e) => setParams((p) => { p.set('groupBy', e.target.value); return p; }, { replace: true })}>
            {GROUP_BYS.map((g) => <option key={g} value={g}>{t.groupByOptions[g]}</option>)}
          </select>
        </div>
        <div className="field" style={{ justifyContent: 'flex-end' }}>
          <Button htmlType="submit" type="primary" disabled={!valid}>{t.refresh}</Button>
        </div>
        {!valid && <p className="field-error" role="alert">{t.periodInvalid}</p>}
      </form>

      {stats.state === 'failed' && <LoadError error={stats.error} retry={reload} />}
      {!s && stats.state === 'loading' && <p role="status">{t.loading}</p>}
      {s && (
        <>
          <div className="figures">
            <Figure label={t.figureTotal} value={String(s.total)} field="total" />
            <Figure label={t.figureOnSpot} value={String(s.resolvedOnSpot)} field="resolvedOnSpot" />
            <Figure label={t.figureOnTime} value={s.onTimeRate === null ? t.notApplicable : `${pct(s.onTimeRate)} %`} field="onTimeRate" />
            <Figure label={t.figureOverdue} value={String(s.overdueOpen)} field="overdueOpen" />
          </div>
          <div className="charts">
            {charts?.map((c) => (
              <section key={c.id} className="panel" aria-labelledby={`chart-${c.id}`}>
                <h2 id={`chart-${c.id}`}>{c.title}</h2>
                <Chart option={c.option} label={c.title} testId={c.id} />
                <details>
                  <summary>{t.dataTable}</summary>
                  <div className="table-wrap">
                    <table className="data-table">
                      <thead><tr>{c.table.head.map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
                      <tbody>{c.table.rows.map((r) => <tr key={r[0]}>{r.map((v, n) => (n === 0 ? <th key={n} scope="row">{v}</th> : <td key={n}>{v}</td>))}</tr>)}</tbody>
                    </table>
                  </div>
                </details>
              </section>
            ))}
          </div>
        </>
      )}
    </>
  );
}

function Figure({ label, value, field }: { label: string; value: string; field: string }) {
  return <div className="figure" data-figure={field}><div className="value">{value}</div><div className="label">{label}</div></div>;
}

interface ChartSpec { id: string; title: string; option: ChartOption; table: { head: string[]; rows: string[][] } }

const PALETTE = ['#0958d9', '#237804', '#ad4e00', '#722ed1'];

function bars(categories: string[], series: { name: string; data: (number | null)[] }[], unit = ''): ChartOption {
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: series.length > 1 ? { top: 0 } : undefined,
    grid: { left: 8, right: 8, top: series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: categories, axisLabel: { interval: 0, rotate: categories.length > 4 ? 40 : 0, width: 90, overflow: 'truncate' } },
    yAxis: { type: 'value', axisLabel: { formatter: `{value}${unit}` }, minInterval: 1 },
    series: series.map((x) => ({ type: 'bar', name: x.name, data: x.data })),
  };
}

function chartOptions(s: Stats, t: Messages, groupLabel: string, categoryName: (id: string) => string): ChartSpec[] {
  const specs: ChartSpec[] = [];
  const days = s.series ?? [];
  if (days.length > 0) {
    const dates = days.map((d) => d.date.slice(5));
    const lines: [string, keyof Day][] = [[t.seriesReported, 'reported'], [t.seriesResolved, 'resolved'], [t.seriesEscalated, 'escalated'], [t.seriesClosed, 'closed']];
    specs.push({
      id: 'by-day', title: t.chartByDay,
      option: {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: dates, boundaryGap: false },
        yAxis: { type: 'value', minInterval: 1 },
        series: lines.map(([name, k]) => ({ type: 'line', name, data: days.map((d) => d[k]), showSymbol: days.length <= 31 })),
      },
      table: { head: [t.date, ...lines.map(([n]) => n)], rows: days.map((d) => [d.date, ...lines.map(([, k]) => String(d[k]))]) },
    });
  }
  const groups = s.groups ?? [];
  if (groups.length > 0) {
    const onTime = groups.map((g) => pct(g.onTimeRate));
    const onSpot = groups.map((g) => (g.total > 0 ? pct(g.resolvedOnSpot / g.total) : null));
    specs.push({
      id: 'rates', title: t.chartRates(groupLabel),
      option: bars(groups.map((g) => g.name), [{ name: t.seriesOnTime, data: onTime }, { name: t.seriesOnSpot, data: onSpot }], ' %'),
      table: {
        head: [t.name, t.seriesOnTime, t.seriesOnSpot],
        rows: groups.map((g, n) => [g.name, onTime[n] === null ? t.notApplicable : `${onTime[n]} %`, onSpot[n] === null ? t.notApplicable : `${onSpot[n]} %`]),
      },
    });
    specs.push({
      id: 'overdue', title: t.chartOverdue(groupLabel),
      option: bars(groups.map((g) => g.name), [{ name: t.seriesOverdue, data: groups.map((g) => g.overdueOpen) }]),
      table: { head: [t.name, t.seriesOverdue], rows: groups.map((g) => [g.name, String(g.overdueOpen)]) },
    });
  }
  const categories = Object.entries(s.byCategory);
  specs.push({
    id: 'categories', title: t.chartCategories,
    option: bars(categories.map(([id]) => categoryName(id)), [{ name: t.seriesIncidents, data: categories.map(([, n]) => n) }]),
    table: { head: [t.name, t.seriesIncidents], rows: categories.map(([id, n]) => [categoryName(id), String(n)]) },
  });
  return specs;
}
