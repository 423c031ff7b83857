// An instance's log lines, newest last, kept current; filtered by service, level and text (the hub searches).
import { useState } from 'react';
import { useLive } from '../live.ts';

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export function InstanceLogs({ id, services }: { id: string; services: string[] }) {
  const [service, setService] = useState('');
  const [level, setLevel] = useState<'' | (typeof LEVELS)[number]>('');
  const [text, setText] = useState('');
  const { data, error } = useLive('/logs', { query: { instance: id, limit: '300', ...(service ? { service } : {}), ...(level ? { level } : {}), ...(text.trim() ? { q: text.trim() } : {}) } });
  const lines = [...(data?.lines ?? [])].sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
  const known = [...new Set([...services, ...lines.map((l) => l.service)])].sort();
  return (
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <div className="filters">
        <label>
          Service
          <select value={service} onChange={(e) => setService(e.target.value)}>
            <option value="">all</option>
            {known.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Level
          <select value={level} onChange={(e) => setLevel(e.target.value as typeof level)}>
            <option value="">all</option>
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          Text <input type="search" value={text} maxLength={256} onChange={(e) => setText(e.target.value)} />
        </label>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <pre className="logs" tabIndex={0} aria-label="Log lines" aria-live="polite">
        {!data ? 'Loading…' : lines.length === 0 ? 'No log lines match.' : lines.map((l) => (
          <span key={`${l.stream}/${l.seq}`} className={`level-${l.level}`}>
            {`${l.at.slice(11, 23)} ${l.service} ${l.level.padEnd(5)} ${l.message}\n`}
          </span>
        ))}
      </pre>
    </section>
  );
}
