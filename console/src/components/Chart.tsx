/**
 * An Apache ECharts chart, importing only the parts the dashboard draws (echarts/core, bar and line, SVG
 * renderer). The chart is one image to assistive technology, named by its title; the figures are also in a
 * table next to it.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export function Chart({ option, label, testId, height = 300 }: { option: ChartOption; label: string; testId: string; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    const c = echarts.init(ref.current, undefined, { renderer: 'svg' });
    chart.current = c;
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(ref.current);
    return () => { observer.disconnect(); c.dispose(); chart.current = null; };
  }, []);
  useEffect(() => {
    chart.current?.setOption({ animation: false, ...option }, { notMerge: true });
  }, [option]);
  return <div ref={ref} className="chart" role="img" aria-label={label} data-chart={testId} style={{ height }} />;
}
