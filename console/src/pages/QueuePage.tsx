/**
 * The caller's queue (contract §9, §10): open incidents of its jurisdiction, soonest deadline first, for a
 * grid leader or supervisor; a resident's own incidents with those awaiting its verification first. The §4
 * filters live in the address (a refresh or a shared link keeps them), pages go by the API's cursor, the
 * list refreshes in place, and the CSV export holds every incident matching the filters.
 */
import { Button, Tag, message } from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { call, type Api, type Incident, type ListedIncident, type ListQuery } from '../api/client';
import { useApp, useSession } from '../app-context';
import type { Role } from '../auth/session';
import { DeadlineText, LoadError, StatusTag } from '../components/common';
import type { Messages } from '../i18n/messages';
import type { CountyNames } from '../lib/county';
import { toCsv } from '../lib/csv';
import { deadlineState, formatDateTime, formatTime } from '../lib/format';
import { useLoad, useNow } from '../lib/hooks';

const PAGE_SIZE = 20;
const EXPORT_LIMIT = 10_000;
const AUTO_REFRESH_MS = 60_000;
const FILTERS = ['status', 'level', 'townId', 'gridId', 'category', 'overdue'] as const;
type Filter = (typeof FILTERS)[number];
const STATUSES: Incident['status'][] = ['open', 'resolved', 'closed', 'rejected'];

/** A resident's queue lists everything it reported; everybody else's starts at the open incidents. */
const defaultStatus = (role: Role) => (role === 'reporter' ? '' : 'open');

function queryOf(params: URLSearchParams, role: Role): ListQuery {
  const q: Record<string, string> = {};
  for (const f of FILTERS) {
    const v = params.get(f) ?? (f === 'status' ? defaultStatus(role) : '');
    if (v) q[f] = v;
  }
  return q as ListQuery;
}

async function fetchAll(api: Api, query: ListQuery, limit: number, progress?: (n: number) => void): Promise<{ items: ListedIncident[]; truncated: boolean }> {
  const items: ListedIncident[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(api.GET('/incidents', { params: { query: { ...query, limit: 100, ...(cursor ? { cursor } : {}) } } }));
    items.push(...page.items);
    progress?.(items.length);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < limit);
  return { items: items.slice(0, limit), truncated: items.length > limit || (cursor !== undefined && items.length >= limit) };
}

function csvOf(items: ListedIncident[], t: Messages, names: CountyNames, locale: Parameters<typeof formatDateTime>[1], timeZone: string): string {
  const when = (iso: string | null) => (iso ? formatDateTime(iso, locale, timeZone) : '');
  const c = t.csv;
  return toCsv([
    [c.id, c.title, c.category, c.town, c.community, c.grid, c.status, c.level, c.deadline, c.overdue, c.createdAt, c.updatedAt, c.reporter, c.description],
    ...items.map((i) => [
      i.id, i.title, names.category(i.category), names.town(i.townId), names.community(i.communityId), names.grid(i.gridId)?.name ?? i.gridId,
      t.statuses[i.status], t.levels[i.level], when(i.deadline), i.overdue ? t.yes : t.no, when(i.createdAt), when(i.updatedAt),
      i.reporter?.name ?? '', i.description,
    ]),
  ]);
}

function download(text: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function QueuePage() {
  const { t, api, names, locale, timeZone, config } = useApp();
  const { claims } = useSession();
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => queryOf(params, claims.role), [params, claims.role]);
  const queryKey = JSON.stringify(query);
  // Cursors belong to their query: new filters start again at page 1.
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: queryKey, cursors: [undefined] });
  const cursors = paging.key === queryKey ? paging.cursors : [undefined];
  const setCursors = (next: (c: (string | undefined)[]) => (string | undefined)[]) => setPaging({ key: queryKey, cursors: next(cursors) });
  const cursor = cursors[cursors.length - 1];
  const now = useNow();

  const [page, reload] = useLoad(
    () => call(api.GET('/incidents', { params: { query: { ...query, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) } } })),
    `${queryKey}|${cursor ?? ''}`,
  );
  const isReporter = claims.role === 'reporter';
  const [toVerify, reloadToVerify] = useLoad(
    () => (isReporter ? fetchAll(api, { status: 'resolved' }, 100).then((r) => r.items) : Promise.resolve([])),
    `verify|${isReporter}`,
  );
  const refresh = useCallback(() => { reload(); reloadToVerify(); }, [reload, reloadToVerify]);

  // Refresh in place while the page is in view, and whenever the person comes back to it.
  useEffect(() => {
    const timer = setInterval(() => { if (document.visibilityState === 'visible') refresh(); }, AUTO_REFRESH_MS);
    const onVisible = () => { if (document.visibilityState === 'visible') refresh(); };
    document.addEventListener('visibilitychange', onVisible);
    return () => { clearInterval(timer); document.removeEventListener('visibilitychange', onVisible); };
  }, [refresh]);

  const setFilter = (f: Filter, value: string) => {
    // From the address as it is now: two quick changes must not undo each other.
    const p = new URLSearchParams(window.location.search);
    if (value === '' && !(f === 'status' && defaultStatus(claims.role) !== '')) p.delete(f);
    else p.set(f, value);
    if (f === 'townId') p.delete('gridId');
    setParams(p, { replace: true });
  };

  const [exporting, setExporting] = useState<number | null>(null);
  const [toast, toastHolder] = message.useMessage();
  const exportCsv = async () => {
    setExporting(0);
    try {
      const { items, truncated } = await fetchAll(api, query, EXPORT_LIMIT, setExporting);
      const stamp = new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short' }).format(new Date());
      download(csvOf(items, t, names, locale, timeZone), `${config.county.id}-incidents-${stamp}.csv`);
      void toast.success(truncated ? t.exportTruncated(items.length) : t.exported(items.length));
    } catch (e) {
      void toast.error(e instanceof Error ? e.message : String(e));
    } finally {
      setExporting(null);
    }
  };

  const role = claims.role;
  const townScoped = role === 'town' ? claims.scope : params.get('townId') ?? '';
  const gridOptions = names.grids.filter((g) => !townScoped || g.town.id === townScoped);
  const items = page.data?.items ?? [];
  const pageNo = cursors.length;

  return (
    <>
      {toastHolder}
      <div className="page-head">
        <h1>{isReporter ? t.reporterQueueTitle : t.queueTitle}</h1>
        <div className="toolbar">
          <Button onClick={refresh} loading={page.state === 'loading' && page.data !== undefined}>{t.refresh}</Button>
          <Button onClick={() => void exportCsv()} loading={exporting !== null}>
            {exporting !== null ? t.exporting(exporting) : t.exportCsv}
          </Button>
        </div>
      </div>

      {isReporter && (toVerify.data?.length ?? 0) > 0 && (
        <section className="panel" aria-labelledby="to-verify">
          <h2 id="to-verify">{t.awaitingVerification}</h2>
          <p className="muted">{t.awaitingVerificationHint}</p>
          <ul className="incident-list">
            {toVerify.data!.map((i) => <IncidentItem key={i.id} incident={i} now={now} />)}
          </ul>
        </section>
      )}

      <section className="panel" aria-labelledby="filters-title">
        <h2 id="filters-title" className="visually-hidden">{t.filters}</h2>
        <div className="filters">
          <SelectFilter id="f-status" label={t.fStatus} value={query.status ?? ''} onChange={(v) => setFilter('status', v)}
            options={STATUSES.map((s) => [s, t.statuses[s]])} />
          <SelectFilter id="f-level" label={t.fLevel} value={query.level ?? ''} onChange={(v) => setFilter('level', v)}
            options={config.county.ladder.map((l) => [l, t.levels[l]])} />
          {(role === 'county' || role === 'city') && (
            <SelectFilter id="f-town" label={t.fTown} value={query.townId ?? ''} onChange={(v) => setFilter('townId', v)}
              options={config.county.towns.map((tw) => [tw.id, names.town(tw.id)])} />
          )}
          {role !== 'grid' && role !== 'reporter' && (
            <SelectFilter id="f-grid" label={t.fGrid} value={query.gridId ?? ''} onChange={(v) => setFilter('gridId', v)}
              options={gridOptions.map((g) => [g.id, townScoped ? `${g.communityName} · ${g.name}` : names.gridPath(g.id)])} />
          )}
          <SelectFilter id="f-category" label={t.fCategory} value={query.category ?? ''} onChange={(v) => setFilter('category', v)}
            options={config.county.categories.map((c) => [c.id, names.category(c.id)])} />
          <SelectFilter id="f-overdue" label={t.fOverdue} value={query.overdue ?? ''} onChange={(v) => setFilter('overdue', v)}
            options={[['true', t.yes], ['false', t.no]]} />
        </div>
      </section>

      {page.state === 'failed' && <LoadError error={page.error} retry={refresh} />}
      <section aria-labelledby="list-title" aria-busy={page.state === 'loading'}>
        <h2 id="list-title" className="visually-hidden">{t.incidentList}</h2>
        <p className="muted" aria-live="polite">
          {page.state === 'done' ? t.updatedAt(formatTime(page.at, locale, timeZone)) : page.state === 'loading' ? t.loading : ''}
        </p>
        {page.data && items.length === 0 && <p>{t.noIncidents}</p>}
        <ul className="incident-list">
          {items.map((i) => <IncidentItem key={i.id} incident={i} now={now} />)}
        </ul>
        {(pageNo > 1 || page.data?.nextCursor) && (
          <nav className="pager" aria-label={t.pageN(pageNo)}>
            <Button disabled={pageNo <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>{t.previousPage}</Button>
            <span>{t.pageN(pageNo)}</span>
            <Button disabled={!page.data?.nextCursor} onClick={() => setCursors((c) => [...c, page.data?.nextCursor ?? undefined])}>{t.nextPage}</Button>
          </nav>
        )}
      </section>
    </>
  );
}

function SelectFilter({ id, label, value, options, onChange }: {
  id: string; label: string; value: string; options: [string, string][]; onChange: (v: string) => void;
}) {
  const { t } = useApp();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} className="select" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t.any}</option>
        {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
    </div>
  );
}

export function IncidentItem({ incident: i, now }: { incident: ListedIncident; now: number }) {
  const { t, names, locale, timeZone } = useApp();
  const state = i.status === 'open' ? deadlineState(i, now, t) : undefined;
  return (
    <li data-incident-id={i.id} className={`incident ${state?.kind ?? ''}`}>
      <Link to={`/incidents/${i.id}`} className="incident-link">{i.title}</Link>
      <div className="incident-meta">
        <StatusTag status={i.status} />
        <Tag>{t.levels[i.level]}</Tag>
        {state?.kind === 'overdue' && <Tag color="red">{t.overdueTag}</Tag>}
        <span>{names.category(i.category)}</span>
        <span>{names.gridPath(i.gridId)}</span>
      </div>
      {state ? <DeadlineText state={state} /> : <span className="muted">{t.reportedAt(formatDateTime(i.createdAt, locale, timeZone))}</span>}
    </li>
  );
}
