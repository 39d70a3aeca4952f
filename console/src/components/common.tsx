import { Alert, Button, Tag } from 'antd';
import type { ReactNode } from 'react';
import { ApiError, type Incident } from '../api/client';
import { useApp } from '../app-context';
import type { Messages } from '../i18n/messages';
import type { DeadlineState } from '../lib/format';

export function errorText(error: unknown, t: Messages): string {
  if (error instanceof ApiError) return error.status === 0 ? t.networkError : t.loadFailed(error.message);
  return t.loadFailed(error instanceof Error ? error.message : String(error));
}

export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useApp();
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={errorText(error, t)}
      action={retry ? <Button onClick={retry}>{t.retry}</Button> : undefined}
    />
  );
}

const STATUS_COLOR: Record<Incident['status'], string> = { open: 'blue', resolved: 'gold', closed: 'green', rejected: 'default' };

export function StatusTag({ status, children }: { status: Incident['status']; children?: ReactNode }) {
  const { t } = useApp();
  return <Tag color={STATUS_COLOR[status]}>{children ?? t.statuses[status]}</Tag>;
}

export function DeadlineText({ state }: { state: DeadlineState }) {
  return <span className={`deadline ${state.kind}`}>{state.text}</span>;
}
