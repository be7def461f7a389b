import { describe, expect, it } from 'vitest';
import { renderMetrics, type MetricsSnapshot } from '../../src/web/metrics.js';

const snapshot: MetricsSnapshot = {
  outboxDepth: 0,
  services: [
    {
      name: 'api/10.0.0.1:8080', state: 'leaking', scrapesTotal: 10, failuresTotal: {}, lastScrapeDurationSeconds: 0.01, lastSampleAgeSeconds: 1,
      slopesPerHour: { heap: 5_242_880, rss: 6_000_000, goroutines: 120 }, openIncidents: 1,
      timeToLimitHours: { heap: 2.5 }, openMetrics: ['heap'],
    },
    {
      name: 'steady', state: 'ok', scrapesTotal: 10, failuresTotal: {}, lastScrapeDurationSeconds: 0.01, lastSampleAgeSeconds: 1,
      slopesPerHour: { heap: 0 }, openIncidents: 0, timeToLimitHours: {}, openMetrics: [],
    },
  ],
};

const lines = (text: string, family: string) => text.split('\n').filter((l) => l.startsWith(`${family}{`) || l.startsWith(`${family} `));

describe('verdict gauges (design §8)', () => {
  const text = renderMetrics(snapshot);

  it('growth per memory metric in bytes per hour (goroutines stay in leakwatch_slope_per_hour)', () => {
    expect(text).toContain('# TYPE leakwatch_growth_bytes_per_hour gauge\n');
    expect(lines(text, 'leakwatch_growth_bytes_per_hour')).toEqual([
      'leakwatch_growth_bytes_per_hour{service="api/10.0.0.1:8080",metric="heap"} 5242880',
      'leakwatch_growth_bytes_per_hour{service="api/10.0.0.1:8080",metric="rss"} 6000000',
      'leakwatch_growth_bytes_per_hour{service="steady",metric="heap"} 0',
    ]);
  });

  it('time to limit in seconds, only where there is one', () => {
    expect(lines(text, 'leakwatch_time_to_limit_seconds')).toEqual(['leakwatch_time_to_limit_seconds{service="api/10.0.0.1:8080",metric="heap"} 9000']);
  });

  it('an open-incident gauge for every service and metric, 1 for the open ones', () => {
    const open = lines(text, 'leakwatch_incident_open');
    expect(open).toHaveLength(8);
    expect(open.filter((l) => l.endsWith(' 1'))).toEqual(['leakwatch_incident_open{service="api/10.0.0.1:8080",metric="heap"} 1']);
  });
});
