import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { takeFragmentToken } from './auth/session';
import { loadConfig } from './config';
import './styles.css';

// Before anything else: a `#token=` leaves the address bar at once.
const fragmentToken = takeFragmentToken();
const root = createRoot(document.getElementById('root')!);

loadConfig().then(
  (config) => root.render(<StrictMode><App config={config} fragmentToken={fragmentToken} /></StrictMode>),
  () => root.render(
    // The language is in the configuration that could not be read: say it in both.
    <main className="boot-error" role="alert">
      <p lang="zh-CN">控制台无法启动：读取配置失败。请稍后刷新重试。</p>
      <p lang="en">The console cannot start: its configuration could not be read. Reload in a moment.</p>
    </main>,
  ),
);
