/**
 * The report form (contract §9) for residents and grid leaders: the grid is pre-filled for a grid leader,
 * the browser's location is optional, a grid worker may report it resolved on the spot. One
 * Idempotency-Key per form: a double tap, or a retry on a flaky phone network, creates one incident.
 */
import { Alert, Button, Checkbox, Input } from 'antd';
import { useRef, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, call, type Incident, type ReportBody } from '../api/client';
import { useApp, useSession } from '../app-context';
import { errorText } from '../components/common';
import { zonedToUtc } from '../lib/format';
import { newKey } from '../lib/keys';

type Field = 'category' | 'gridId' | 'title' | 'description' | 'note';
type Errors = Partial<Record<Field, string>>;
type Located = { state: 'none' } | { state: 'locating' } | { state: 'found'; lat: number; lng: number } | { state: 'unavailable' };

/** A key still "in flight" answers 409 (README): the first request is running, so ask again shortly. */
const IN_FLIGHT_RETRIES = 10;

export default function ReportPage() {
  const { t, api, names, config, timeZone } = useApp();
  const { claims } = useSession();
  const navigate = useNavigate();
  const isGrid = claims.role === 'grid';
  const [category, setCategory] = useState('');
  const [gridId, setGridId] = useState(isGrid ? claims.scope : '');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [address, setAddress] = useState('');
  const [occurredAt, setOccurredAt] = useState('');
  const [contactName, setContactName] = useState('');
  const [contactPhone, setContactPhone] = useState('');
  const [onSpot, setOnSpot] = useState(false);
  const [note, setNote] = useState('');
  const [located, setLocated] = useState<Located>({ state: 'none' });
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const inFlight = useRef(false);
  // One key per form; a changed form after a failed attempt is another request and gets another key.
  const key = useRef<{ key: string; body: string | null }>({ key: newKey(), body: null });

  const grids = isGrid ? names.grids.filter((g) => g.id === claims.scope) : names.grids;

  const locate = () => {
    if (!('geolocation' in navigator)) { setLocated({ state: 'unavailable' }); return; }
    setLocated({ state: 'locating' });
    navigator.geolocation.getCurrentPosition(
      (p) => setLocated({ state: 'found', lat: p.coords.latitude, lng: p.coords.longitude }),
      () => setLocated({ state: 'unavailable' }),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  };

  const validate = (): Errors => {
    const e: Errors = {};
    if (!category) e.category = t.required(t.category);
    if (!gridId) e.gridId = t.required(t.grid);
    if (!title.trim()) e.title = t.required(t.title);
    else if (title.trim().length > 120) e.title = t.tooLong(t.title, 120);
    if (!description.trim()) e.description = t.required(t.description);
    else if (description.trim().length > 4000) e.description = t.tooLong(t.description, 4000);
    if (onSpot && !note.trim()) e.note = t.required(t.note);
    return e;
  };

  const submit = async () => {
    if (inFlight.current) return; // the second click of a double click
    const found = validate();
    setErrors(found);
    setFailure(null);
    const first = (['category', 'gridId', 'title', 'description', 'note'] as Field[]).find((f) => found[f]);
    if (first) { document.getElementById(`report-${first}`)?.focus(); return; }
    const occurred = occurredAt ? zonedToUtc(occurredAt, timeZone) : undefined;
    const body: ReportBody = {
      category, gridId, title: title.trim(), description: description.trim(),
      ...(located.state === 'found' ? { location: { lat: located.lat, lng: located.lng, ...(address.trim() ? { address: address.trim() } : {}) } } : {}),
      ...(contactName.trim() || contactPhone.trim() ? { reporter: {
        ...(contactName.trim() ? { name: contactName.trim() } : {}), ...(contactPhone.trim() ? { phone: contactPhone.trim() } : {}),
      } } : {}),
      ...(occurred ? { occurredAt: occurred } : {}),
      ...(isGrid && onSpot ? { resolvedOnSpot: { note: note.trim() } } : {}),
    };
    const text = JSON.stringify(body);
    if (key.current.body !== null && key.current.body !== text) key.current = { key: newKey(), body: null };
    key.current.body = text;
    inFlight.current = true;
    setSubmitting(true);
    try {
      let created: Incident | undefined;
      for (let attempt = 0; !created; attempt++) {
        try {
          created = await call(api.POST('/incidents', { params: { header: { 'Idempotency-Key': key.current.key } }, body }));
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 409 && attempt < IN_FLIGHT_RETRIES)) throw e;
          await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
        }
      }
      navigate(`/incidents/${created.id}`, { state: { reported: true } });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 400 || e.status === 422) && e.problem?.errors?.length) {
        const byField: Errors = {};
        for (const f of e.problem.errors) {
          const field = f.path.split('.')[0] as Field | 'resolvedOnSpot';
          if (field === 'resolvedOnSpot') byField.note = f.message;
          else if (['category', 'gridId', 'title', 'description'].includes(field)) byField[field] = f.message;
        }
        setErrors(byField);
      }
      setFailure(errorText(e, t));
      inFlight.current = false;
      setSubmitting(false);
    }
  };

  const categories = config.county.categories;
  return (
    <div className="form-narrow">
      <h1>{t.reportTitle}</h1>
      <form
        className="panel"
        noValidate
        onSubmit={(e) => { e.preventDefault(); void submit(); }}
        style={{ display: 'flex', flexDirection: 'column', gap: 14 }}
      >
        <Labelled id="report-category" label={t.category} error={errors.category}>
          {(aria) => (
            <select id="report-category" className="select" value={category} required {...aria}
              onChange={(e) => { setCategory(e.target.value); setErrors((x) => ({ ...x, category: undefined })); }}>
              <option value="">{t.choose}</option>
              {categories.map((c) => <option key={c.id} value={c.id}>{names.category(c.id)}</option>)}
            </select>
          )}
        </Labelled>
        <Labelled id="report-gridId" label={t.grid} error={errors.gridId}>
          {(aria) => (
            <select id="report-gridId" className="select" value={gridId} required {...aria}
              onChange={(e) => { setGridId(e.target.value); setErrors((x) => ({ ...x, gridId: undefined })); }}>
              {!isGrid && <option value="">{t.choose}</option>}
              {config.county.towns.map((town) => {
                const options = grids.filter((g) => g.town.id === town.id);
                if (options.length === 0) return null;
                return (
                  <optgroup key={town.id} label={names.town(town.id)}>
                    {options.map((g) => <option key={g.id} value={g.id}>{`${g.communityName} · ${g.name}`}</option>)}
                  </optgroup>
                );
              })}
            </select>
          )}
        </Labelled>
        <Labelled id="report-title" label={t.title} error={errors.title}>
          {(aria) => (
            <Input id="report-title" value={title} maxLength={120} showCount required {...aria}
              onChange={(e) => { setTitle(e.target.value); setErrors((x) => ({ ...x, title: undefined })); }} />
          )}
        </Labelled>
        <Labelled id="report-description" label={t.description} error={errors.description}>
          {(aria) => (
            <Input.TextArea id="report-description" value={description} maxLength={4000} autoSize={{ minRows: 3, maxRows: 10 }} required {...aria}
              onChange={(e) => { setDescription(e.target.value); setErrors((x) => ({ ...x, description: undefined })); }} />
          )}
        </Labelled>

        <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
          <legend className="field-label">{t.location}</legend>
          <div className="location-row">
            {located.state === 'found' ? (
              <>
                <span>{t.locationFound(located.lat.toFixed(5), located.lng.toFixed(5))}</span>
                <Button onClick={() => setLocated({ state: 'none' })}>{t.clearLocation}</Button>
              </>
            ) : (
              <Button onClick={locate} loading={located.state === 'locating'}>
                {located.state === 'locating' ? t.locating : t.useMyLocation}
              </Button>
            )}
          </div>
          {located.state === 'unavailable' && <p className="field-error" role="status">{t.locationUnavailable}</p>}
          {located.state === 'found' && (
            <div className="field" style={{ marginTop: 8 }}>
              <label htmlFor="report-address">{t.address}</label>
              <Input id="report-address" value={address} maxLength={200} onChange={(e) => setAddress(e.target.value)} />
            </div>
          )}
        </fieldset>

        <div className="field">
          <label htmlFor="report-occurred">{t.occurredAt}</label>
          <input id="report-occurred" type="datetime-local" className="date-input" value={occurredAt} onChange={(e) => setOccurredAt(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="report-contact-name">{t.contactName}</label>
          <Input id="report-contact-name" value={contactName} maxLength={60} autoComplete="name" onChange={(e) => setContactName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="report-contact-phone">{t.contactPhone}</label>
          <Input id="report-contact-phone" value={contactPhone} maxLength={30} type="tel" autoComplete="tel" onChange={(e) => setContactPhone(e.target.value)} />
        </div>

        {isGrid && (
          <div className="field">
            <Checkbox checked={onSpot} onChange={(e) => setOnSpot(e.target.checked)}>{t.resolvedOnSpotLabel}</Checkbox>
            <span className="muted">{t.resolvedOnSpotHint}</span>
          </div>
        )}
        {isGrid && onSpot && (
          <Labelled id="report-note" label={t.note} error={errors.note}>
            {(aria) => (
              <Input.TextArea id="report-note" value={note} maxLength={2000} autoSize={{ minRows: 2, maxRows: 6 }} required {...aria}
                onChange={(e) => { setNote(e.target.value); setErrors((x) => ({ ...x, note: undefined })); }} />
            )}
          </Labelled>
        )}

        {failure && <Alert type="error" showIcon role="alert" title={failure} />}
        <Button type="primary" htmlType="submit" size="large" loading={submitting} block>
          {t.reportSubmit}
        </Button>
      </form>
    </div>
  );
}

type Aria = { 'aria-invalid'?: true; 'aria-describedby'?: string };

function Labelled({ id, label, error, children }: { id: string; label: string; error: string | undefined; children: (aria: Aria) => ReactNode }) {
  const aria: Aria = error ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {};
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(aria)}
      {error && <span id={`${id}-error`} className="field-error">{error}</span>}
    </div>
  );
}
