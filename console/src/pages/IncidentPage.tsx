/**
 * One incident (contract §9, §10): its state at a glance (status, level, time left or overdue), its
 * timeline in the county's time zone, and exactly the actions the API lists in `allowedActions` for this
 * caller now: the console decides nothing about who may do what. Every action sends the version on screen
 * (`expectedVersion`); a 409 says plainly that someone else changed it and shows the new state.
 */
import { Alert, Button, Input, Tag } from 'antd';
import { useState, type ReactNode } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { ApiError, call, type ActionBody, type Incident } from '../api/client';
import { useApp } from '../app-context';
import { DeadlineText, LoadError, StatusTag, errorText } from '../components/common';
import type { Messages } from '../i18n/messages';
import { deadlineState, formatDateTime } from '../lib/format';
import { useLoad, useNow } from '../lib/hooks';
import { newKey } from '../lib/keys';

type AllowedAction = Incident['allowedActions'][number];
type DeadlineSpec = NonNullable<Incident['pendingExtension']>['extension'];

const EXTENSIONS = ['PT4H', 'PT8H', 'PT24H', 'P2D', 'P3D', 'P7D'] as const;

type Feedback = { kind: 'success' | 'conflict' | 'error'; text: string } | null;

export default function IncidentPage() {
  const { id = '' } = useParams();
  return <IncidentView key={id} id={id} />;
}

function IncidentView({ id }: { id: string }) {
  const { t, api } = useApp();
  const location = useLocation();
  const [loaded, reload] = useLoad(() => call(api.GET('/incidents/{id}', { params: { path: { id } } })), id);
  const [override, setOverride] = useState<Incident | null>(null);
  const justReported = (location.state as { reported?: boolean } | null)?.reported === true;
  const [feedback, setFeedback] = useState<Feedback>(justReported ? { kind: 'success', text: t.reported } : null);

  // What an action answered is newer than the last load, until the next load.
  const incident = override && (!loaded.data || override.version >= loaded.data.version) ? override : loaded.data;

  if (!incident) {
    if (loaded.state === 'failed') {
      const missing = loaded.error instanceof ApiError && loaded.error.status === 404;
      return (
        <>
          <BackLink />
          {missing ? <Alert type="warning" showIcon role="alert" title={t.notFound} /> : <LoadError error={loaded.error} retry={reload} />}
        </>
      );
    }
    return <p role="status">{t.loading}</p>;
  }
  return (
    <>
      <BackLink />
      <IncidentDetails incident={incident} />
      {feedback && (
        <Alert
          className="feedback"
          type={feedback.kind === 'success' ? 'success' : feedback.kind === 'conflict' ? 'warning' : 'error'}
          showIcon
          role={feedback.kind === 'success' ? 'status' : 'alert'}
          title={feedback.text}
          closable={{ onClose: () => setFeedback(null), 'aria-label': 'OK' }}
          style={{ marginBottom: 16 }}
        />
      )}
      <ActionPanel
        incident={incident}
        onDone={(updated, text) => { setOverride(updated); setFeedback({ kind: 'success', text }); }}
        onConflict={() => { setOverride(null); reload(); setFeedback({ kind: 'conflict', text: t.conflict }); }}
        onError={(text) => setFeedback({ kind: 'error', text })}
      />
      <Timeline incident={incident} />
    </>
  );
}

function BackLink() {
  const { t } = useApp();
  return <p><Link to="/" className="back-link">← {t.backToQueue}</Link></p>;
}

function IncidentDetails({ incident: i }: { incident: Incident }) {
  const { t, names, locale, timeZone } = useApp();
  const now = useNow();
  const when = (iso: string) => formatDateTime(iso, locale, timeZone);
  const state = i.status === 'open' ? deadlineState(i, now, t) : undefined;
  const pending = i.pendingExtension;
  const facts: [string, ReactNode][] = [
    [t.fieldCategory, names.category(i.category)],
    [t.fieldPlace, names.gridPath(i.gridId)],
    [t.fieldReported, when(i.createdAt)],
  ];
  if (i.occurredAt) facts.push([t.fieldOccurred, when(i.occurredAt)]);
  if (i.reporter?.name || i.reporter?.phone) {
    facts.push([t.fieldReporter, (
      <>
        {i.reporter.name}
        {i.reporter.phone && <> · <a href={`tel:${i.reporter.phone}`} aria-label={`${t.phone} ${i.reporter.phone}`}>{i.reporter.phone}</a></>}
      </>
    )]);
  }
  if (i.location) {
    facts.push([t.fieldLocation, (
      <>
        {i.location.address ? `${i.location.address} · ` : ''}
        <a href={`https://uri.amap.com/marker?position=${i.location.lng},${i.location.lat}`} target="_blank" rel="noreferrer">
          {i.location.lat.toFixed(5)}, {i.location.lng.toFixed(5)}
        </a>
      </>
    )]);
  }
  if (i.acknowledgedBy) facts.push([t.fieldAcknowledged, i.acknowledgedBy]);
  if (pending) facts.push([t.fieldPendingExtension, `${extensionText(pending.extension, t)} · ${pending.by} · ${when(pending.at)} · ${pending.note}`]);
  if (i.resolution) {
    facts.push([t.fieldResolution, (
      <>
        {i.resolvedOnSpot && <Tag color="green">{t.resolvedOnSpot}</Tag>}
        <span className="description">{i.resolution.note}</span>
        <div className="muted">{t.resolutionBy(i.resolution.by, t.levels[i.resolution.level], when(i.resolution.at))}</div>
      </>
    )]);
  }
  return (
    <article className="panel" aria-labelledby="incident-title">
      <h1 id="incident-title" style={{ overflowWrap: 'anywhere' }}>{i.title}</h1>
      <div className="status-line">
        <span data-field="status" data-value={i.status}><StatusTag status={i.status} /></span>
        <span data-field="level" data-value={i.level}><Tag>{t.levels[i.level]}</Tag></span>
        {state?.kind === 'overdue' && <Tag color="red">{t.overdueTag}</Tag>}
        {i.deadline ? (
          <time data-field="deadline" data-value={i.deadline} dateTime={i.deadline}>
            {t.fieldDeadline} {when(i.deadline)}
          </time>
        ) : (
          <span data-field="deadline" data-value="" className="muted">{t.noDeadline}</span>
        )}
        {state && state.kind !== 'none' && <DeadlineText state={state} />}
      </div>
      <dl className="facts">
        {facts.map(([k, v]) => <div key={k} style={{ display: 'contents' }}><dt>{k}</dt><dd>{v}</dd></div>)}
      </dl>
      <h2 style={{ marginTop: 16 }}>{t.fieldDescription}</h2>
      <p className="description">{i.description}</p>
    </article>
  );
}

function extensionText(extension: DeadlineSpec, t: Messages): string {
  if (typeof extension === 'string') return t.extensionChoices[extension] ?? extension;
  return 'workingDays' in extension ? t.workingDays(extension.workingDays) : t.workingTime(extension.working);
}

function ActionPanel({ incident, onDone, onConflict, onError }: {
  incident: Incident;
  onDone: (updated: Incident, text: string) => void;
  onConflict: () => void;
  onError: (text: string) => void;
}) {
  const { t, api, names } = useApp();
  // Exactly what the API says this caller may do now (§10): the console decides nothing itself.
  const actions: AllowedAction[] = incident.allowedActions;
  const [note, setNote] = useState('');
  const [noteError, setNoteError] = useState<string | null>(null);
  const [extension, setExtension] = useState('');
  const [extensionError, setExtensionError] = useState<string | null>(null);
  const [gridId, setGridId] = useState('');
  const [gridError, setGridError] = useState<string | null>(null);
  const [busy, setBusy] = useState<AllowedAction | null>(null);

  if (actions.length === 0) {
    return <section className="panel" aria-labelledby="actions-title"><h2 id="actions-title">{t.actionsTitle}</h2><p>{t.noActions}</p></section>;
  }

  const act = async (action: AllowedAction) => {
    if (busy) return;
    setNoteError(null); setExtensionError(null); setGridError(null);
    if (action === 'request-extension' && !extension) { setExtensionError(t.extensionRequired); return; }
    if (action === 'reassign' && !gridId) { setGridError(t.gridRequired); return; }
    setBusy(action);
    const body: ActionBody = {
      action,
      expectedVersion: incident.version,
      ...(note.trim() ? { note: note.trim() } : {}),
      ...(action === 'request-extension' ? { extension } : {}),
      ...(action === 'reassign' ? { gridId } : {}),
    };
    try {
      const updated = await call(api.POST('/incidents/{id}/actions', {
        params: { path: { id: incident.id }, header: { 'Idempotency-Key': newKey() } },
        body,
      }));
      setNote(''); setExtension(''); setGridId('');
      onDone(updated, t.actionDone(t.actions[action]));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) onConflict();
      else if (e instanceof ApiError && e.status === 400 && e.problem?.errors?.some((f) => f.path === 'note')) {
        setNoteError(t.noteRequired(t.actions[action]));
        document.getElementById('action-note')?.focus();
      } else onError(errorText(e, t));
    } finally {
      setBusy(null);
    }
  };

  const townGrids = names.grids.filter((g) => g.town.id === incident.townId);
  return (
    <section className="panel" aria-labelledby="actions-title">
      <h2 id="actions-title">{t.actionsTitle}</h2>
      <div className="field">
        <label htmlFor="action-note">{t.note}</label>
        <Input.TextArea
          id="action-note"
          value={note}
          onChange={(e) => { setNote(e.target.value); setNoteError(null); }}
          autoSize={{ minRows: 2, maxRows: 6 }}
          maxLength={2000}
          aria-invalid={noteError ? true : undefined}
          aria-describedby={noteError ? 'action-note-error' : undefined}
          status={noteError ? 'error' : undefined}
        />
        {noteError && <span id="action-note-error" className="field-error">{noteError}</span>}
      </div>
      {actions.includes('request-extension') && (
        <div className="field" style={{ marginTop: 10 }}>
          <label htmlFor="action-extension">{t.extension}</label>
          <select id="action-extension" className="select" value={extension} onChange={(e) => setExtension(e.target.value)}
            aria-invalid={extensionError ? true : undefined} aria-describedby={extensionError ? 'action-extension-error' : undefined}>
            <option value="">{t.choose}</option>
            {EXTENSIONS.map((d) => <option key={d} value={d}>{t.extensionChoices[d]}</option>)}
          </select>
          {extensionError && <span id="action-extension-error" className="field-error">{extensionError}</span>}
        </div>
      )}
      {actions.includes('reassign') && (
        <div className="field" style={{ marginTop: 10 }}>
          <label htmlFor="action-grid">{t.reassignGrid}</label>
          <select id="action-grid" className="select" value={gridId} onChange={(e) => setGridId(e.target.value)}
            aria-invalid={gridError ? true : undefined} aria-describedby={gridError ? 'action-grid-error' : undefined}>
            <option value="">{t.choose}</option>
            {townGrids.map((g) => <option key={g.id} value={g.id}>{`${g.communityName} · ${g.name}`}</option>)}
          </select>
          {gridError && <span id="action-grid-error" className="field-error">{gridError}</span>}
        </div>
      )}
      <div className="actions">
        {actions.map((a) => (
          <Button key={a} size="large" type={a === actions[0] ? 'primary' : 'default'} danger={a === 'reject'}
            loading={busy === a} disabled={busy !== null && busy !== a} onClick={() => void act(a)}>
            {t.actions[a]}
          </Button>
        ))}
      </div>
    </section>
  );
}

function Timeline({ incident }: { incident: Incident }) {
  const { t, locale, timeZone, names } = useApp();
  return (
    <section className="panel" aria-labelledby="timeline-title">
      <h2 id="timeline-title">{t.timeline}</h2>
      <ol className="timeline">
        {incident.timeline.map((e, n) => {
          const reason = e.reason ? t.reasons[e.reason] : null;
          return (
            <li key={n}>
              <div className="when"><time dateTime={e.at}>{formatDateTime(e.at, locale, timeZone)}</time> · {t.levels[e.level]}</div>
              <div className="what">
                {t.events[e.type]}
                {reason && <span className="muted"> ({reason})</span>}
              </div>
              <div className="muted">{e.actor ?? t.system}</div>
              {e.extension !== undefined && <div>{extensionText(e.extension, t)}</div>}
              {e.fromGridId && <div>{names.gridPath(e.fromGridId)}</div>}
              {e.note && <div className="note">{e.note}</div>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
