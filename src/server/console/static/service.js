// service.js - one service: counts, scale and force-new-deployment
// buttons (UpdateService), deployments, its tasks, a CPU/memory graph from
// the AWS/ECS metrics (GetMetricData) and its events.
import { call, callAll, describeBatched } from './api.js';
import { h, replace, table, status, facts, when, link, enc, lastPart, taskdefName } from './dom.js';
import { lineChart } from './graph.js';

const GRAPH_MINUTES = 60;

function deploymentsTable(s) {
  return table(
    [
      { title: 'Deployment' },
      { title: 'Status' },
      { title: 'Task definition' },
      { title: 'Desired', cls: 'num' },
      { title: 'Running', cls: 'num' },
      { title: 'Pending', cls: 'num' },
      { title: 'Failed', cls: 'num' },
      { title: 'Rollout' },
      { title: 'Updated' },
    ],
    (s.deployments || []).map((d) => [
      h('span', { class: 'mono' }, d.id),
      status(d.status),
      taskdefName(d.taskDefinition),
      d.desiredCount,
      d.runningCount,
      d.pendingCount,
      d.failedTasks ?? 0,
      [status(d.rolloutState), d.rolloutStateReason ? h('div', { class: 'hint' }, d.rolloutStateReason) : null],
      when(d.updatedAt),
    ]),
    'No deployments.',
    { id: 'deployments' },
  );
}

function eventsTable(s) {
  return table(
    [{ title: 'Time' }, { title: 'Event' }],
    (s.events || []).slice(0, 25).map((e) => [when(e.createdAt), e.message]),
    'No events yet.',
    { class: 'events', id: 'events' },
  );
}

function tasksTable(cluster, tasks) {
  return table(
    [{ title: 'Task' }, { title: 'Last status' }, { title: 'Desired status' }, { title: 'Task definition' }, { title: 'Started' }],
    tasks.map((t) => ({
      attrs: { dataset: { task: lastPart(t.taskArn), status: t.lastStatus } },
      cells: [
        link(`#/clusters/${enc(cluster)}/tasks/${enc(lastPart(t.taskArn))}`, lastPart(t.taskArn)),
        status(t.lastStatus),
        status(t.desiredStatus),
        taskdefName(t.taskDefinitionArn),
        when(t.startedAt),
      ],
    })),
    'No running tasks.',
    { id: 'service-tasks' },
  );
}

async function metrics(cluster, name) {
  const to = Math.floor(Date.now() / 1000);
  const from = to - GRAPH_MINUTES * 60;
  const dims = [
    { Name: 'ClusterName', Value: cluster },
    { Name: 'ServiceName', Value: name },
  ];
  const q = (id, metric) => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/ECS', MetricName: metric, Dimensions: dims }, Period: 60, Stat: 'Average' },
  });
  const r = await call('cloudwatch', 'GetMetricData', {
    MetricDataQueries: [q('cpu', 'CPUUtilization'), q('mem', 'MemoryUtilization')],
    StartTime: from,
    EndTime: to + 60,
  });
  const byId = Object.fromEntries((r.MetricDataResults || []).map((m) => [m.Id, m]));
  const points = (id) => {
    const m = byId[id] || { Timestamps: [], Values: [] };
    return (m.Timestamps || []).map((t, i) => [Number(t), Number(m.Values[i])]);
  };
  const cpu = points('cpu');
  const mem = points('mem');
  // A young service's points would sit at the right edge of the hour:
  // start the axis at its first point, showing 15 minutes at least.
  const first = Math.min(...cpu.concat(mem).map((p) => p[0]));
  const start = Number.isFinite(first) ? Math.max(from, Math.min(first - 60, to - 15 * 60)) : from;
  return { from: start, to: to + 60, cpu, mem };
}

function graph(m) {
  if (!m.cpu.length && !m.mem.length)
    return h('p', { class: 'empty' }, `No CPU or memory metrics for this service in the last ${GRAPH_MINUTES} minutes.`);
  return lineChart(
    [
      { name: 'CPU utilisation', cls: 'cpu', color: '#2b6cb0', points: m.cpu },
      { name: 'Memory utilisation', cls: 'mem', color: '#d69e2e', points: m.mem },
    ],
    { from: m.from, to: m.to },
  );
}

function controls(ctx, cluster, name, reload) {
  const count = h('input', { type: 'number', min: 0, step: 1, id: 'desired-count', 'aria-label': 'Desired count' });
  const scale = h('button', { type: 'button', id: 'scale' }, 'Scale');
  const force = h('button', { type: 'button', id: 'force-deploy', class: 'secondary' }, 'Force new deployment');
  scale.addEventListener('click', () =>
    ctx.act(scale, async () => {
      const n = Number(count.value);
      if (count.value === '' || !Number.isInteger(n) || n < 0) throw new Error('The desired count is a whole number, 0 or more.');
      await call('ecs', 'UpdateService', { cluster, service: name, desiredCount: n });
      ctx.notice(`Service ${name}: desired count set to ${n}.`);
      await reload();
    }),
  );
  force.addEventListener('click', () =>
    ctx.act(force, async () => {
      await call('ecs', 'UpdateService', { cluster, service: name, forceNewDeployment: true });
      ctx.notice(`Service ${name}: a new deployment was started.`);
      await reload();
    }),
  );
  return { el: h('div', { class: 'controls' }, h('label', {}, 'Desired count '), count, scale, force), count };
}

export async function detail(ctx, cluster, name) {
  const summary = h('div', { id: 'service-summary', class: 'card' });
  const deployments = h('div');
  const tasks = h('div');
  const chart = h('div', { id: 'service-graph' });
  const events = h('div');
  let seeded = false;
  const load = async () => {
    const r = await call('ecs', 'DescribeServices', { cluster, services: [name] });
    const s = (r.services || [])[0];
    if (!s) throw new Error(((r.failures || [])[0] || {}).reason || `Service ${name} not found`);
    if (!seeded) {
      ctl.count.value = s.desiredCount;
      seeded = true;
    }
    replace(
      summary,
      facts([
        ['Status', status(s.status)],
        ['Desired', h('span', { id: 'desired' }, s.desiredCount)],
        ['Running', h('span', { id: 'running' }, s.runningCount)],
        ['Pending', h('span', { id: 'pending' }, s.pendingCount)],
        ['Task definition', link(`#/taskdefs/${enc(taskdefName(s.taskDefinition))}`, taskdefName(s.taskDefinition))],
        ['Launch type', s.launchType],
        ['Scheduling', s.schedulingStrategy],
        ['Created', when(s.createdAt)],
      ]),
    );
    replace(deployments, deploymentsTable(s));
    replace(events, eventsTable(s));
    const arns = await callAll('ecs', 'ListTasks', { cluster, serviceName: name }, 'taskArns');
    const ts = await describeBatched('ecs', 'DescribeTasks', { cluster }, 'tasks', arns, 'tasks', 100);
    replace(tasks, tasksTable(cluster, ts));
  };
  const ctl = controls(ctx, cluster, name, load);
  ctx.main.append(
    h('div', { class: 'crumbs' }, link('#/', 'Clusters'), ' / ', link(`#/clusters/${enc(cluster)}`, cluster), ' / ', name),
    h('h1', {}, `Service ${name}`),
    ctl.el, // above what loads, so the buttons do not move under the pointer
    summary,
    h('h2', {}, 'Deployments'),
    deployments,
    h('h2', {}, 'Tasks'),
    tasks,
    h('h2', {}, `CPU and memory utilisation (AWS/ECS, 1-minute averages, up to ${GRAPH_MINUTES} minutes)`),
    chart,
    h('h2', {}, 'Events'),
    events,
  );
  ctx.every(async () => replace(chart, graph(await metrics(cluster, name))), 30000, 'metrics');
  await ctx.every(load);
}
