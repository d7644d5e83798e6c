/**
 * Chart.js 4 with only the pieces the console uses registered (bar and line charts, category and
 * linear scales, legend, tooltip, title): the bundle carries nothing else of it.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip, Title);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#334';

export const COLORS = {
  billing: '#2f6fb2',
  revenue: '#2e9a5b',
  deferred: '#c7802c',
  unbilled: '#7a57b6',
  buckets: ['#2e9a5b', '#d9b43a', '#e08a2e', '#d4572f', '#9e2a2a'],
};

/** A chart in a fixed-height box; rebuilt when `config` changes, destroyed on unmount. */
export function ChartCanvas({ config, testId, label, height = 260 }: { config: ChartConfiguration; testId: string; label: string; height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
    });
    return () => chart.destroy();
  }, [config]);
  return (
    <div className="chart" style={{ height }} data-testid={testId}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
