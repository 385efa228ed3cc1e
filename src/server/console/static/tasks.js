// tasks.js - a cluster's tasks (running and recently stopped) and one
// task: its containers with exit codes and reasons, why it stopped, and a
// live tail of each awslogs container's stream (GetLogEvents, following
// the forward token).
import { call, callAll, describeBatched } from './api.js';
import { h, replace, table, status, facts, when, link, enc, lastPart, taskdefName } from './dom.js';
import { clusterHeader } from './clusters.js';

const TAIL_MS = 2000;
const TAIL_LINES = 1000;

function containersSummary(t) {
  return (t.containers || []).map((c) =>
    h('div', {}, `${c.name}: `, status(c.lastStatus), c.exitCode !== undefined ? ` exit ${c.exitCode}` : ''),
  );
}

export async function list(ctx, cluster) {
  clusterHeader(ctx, cluster, 'Tasks');
  const body = h('div', { id: 'tasks' });
  ctx.main.append(body);
  await ctx.every(async () => {
    const running = await callAll('ecs', 'ListTasks', { cluster, desiredStatus: 'RUNNING' }, 'taskArns', 5);
    const stopped = await callAll('ecs', 'ListTasks', { cluster, desiredStatus: 'STOPPED' }, 'taskArns', 1);
    const arns = running.concat(stopped);
    const ts = await describeBatched('ecs', 'DescribeTasks', { cluster }, 'tasks', arns, 'tasks', 100);
    replace(
      body,
      table(
        [
          { title: 'Task' },
          { title: 'Last status' },
          { title: 'Desired' },
          { title: 'Group' },
          { title: 'Task definition' },
          { title: 'Containers' },
          { title: 'Started' },
          { title: 'Stopped reason' },
        ],
        ts.map((t) => ({
          attrs: { dataset: { task: lastPart(t.taskArn), status: t.lastStatus } },
          cells: [
            link(`#/clusters/${enc(cluster)}/tasks/${enc(lastPart(t.taskArn))}`, lastPart(t.taskArn)),
            status(t.lastStatus),
            status(t.desiredStatus),
            t.group,
            taskdefName(t.taskDefinitionArn),
            containersSummary(t),
            when(t.startedAt),
            t.stoppedReason,
          ],
        })),
        'No tasks.',
      ),
    );
  });
}

function containersTable(t) {
  return table(
    [
      { title: 'Container' },
      { title: 'Image' },
      { title: 'Last status' },
      { title: 'Exit code', cls: 'num' },
      { title: 'Reason' },
      { title: 'Health' },
      { title: 'Ports' },
    ],
    (t.containers || []).map((c) => ({
      attrs: { dataset: { container: c.name } },
      cells: [
        c.name,
        h('span', { class: 'mono' }, c.image),
        status(c.lastStatus),
        h('span', { class: 'exit-code' }, c.exitCode ?? '-'),
        c.reason,
        c.healthStatus,
        (c.networkBindings || []).map((b) => h('div', {}, `${b.bindIP || ''}:${b.hostPort} → ${b.containerPort}/${b.protocol || 'tcp'}`)),
      ],
    })),
    'No containers.',
    { id: 'containers' },
  );
}

// Where a container's awslogs stream is: group and stream as the agent
// names it (prefix/container/task-id, or the runtime id without a prefix).
function awslogsStream(def, container, taskId) {
  const lc = def.logConfiguration;
  if (!lc || lc.logDriver !== 'awslogs' || !lc.options || !lc.options['awslogs-group']) return null;
  const prefix = lc.options['awslogs-stream-prefix'];
  const stream = prefix ? `${prefix}/${def.name}/${taskId}` : container && container.runtimeId;
  return stream ? { group: lc.options['awslogs-group'], stream } : null;
}

function tail(ctx, name, where) {
  const pre = h('pre', { class: 'log', dataset: { container: name } });
  const state = h('span', { class: 'hint' }, 'loading…');
  let token = null;
  let lines = 0;
  ctx.every(
    async () => {
      const input = { logGroupName: where.group, logStreamName: where.stream };
      if (token) Object.assign(input, { nextToken: token, startFromHead: true });
      else Object.assign(input, { startFromHead: false, limit: 200 });
      let r;
      try {
        r = await call('logs', 'GetLogEvents', input);
      } catch (e) {
        if (e.type !== 'ResourceNotFoundException') throw e;
        state.textContent = 'no events yet (the stream is created with the first line)';
        return;
      }
      const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      for (const ev of r.events || []) {
        pre.append(h('span', { class: 'line' }, `${when(ev.timestamp / 1000)}  ${ev.message}\n`));
        lines++;
      }
      while (lines > TAIL_LINES && pre.firstChild) {
        pre.firstChild.remove();
        lines--;
      }
      if (atBottom) pre.scrollTop = pre.scrollHeight;
      token = r.nextForwardToken || token;
      state.textContent = `following ${where.group} / ${where.stream}`;
    },
    TAIL_MS,
    `tail-${name}`,
  );
  return h('div', {}, h('h2', {}, `Log tail: ${name} `, state), pre);
}

export async function detail(ctx, cluster, taskId) {
  const summary = h('div', { id: 'task-summary', class: 'card' });
  const containers = h('div');
  const logs = h('div', { id: 'logs' });
  ctx.main.append(
    h('div', { class: 'crumbs' }, link('#/', 'Clusters'), ' / ', link(`#/clusters/${enc(cluster)}/tasks`, cluster), ' / ', taskId),
    h('h1', {}, `Task ${taskId}`),
    summary,
    h('h2', {}, 'Containers'),
    containers,
    logs,
  );
  let tailing = false;
  await ctx.every(async () => {
    const r = await call('ecs', 'DescribeTasks', { cluster, tasks: [taskId] });
    const t = (r.tasks || [])[0];
    if (!t) throw new Error(((r.failures || [])[0] || {}).reason || `Task ${taskId} not found`);
    replace(
      summary,
      facts([
        ['Last status', h('span', { id: 'task-status' }, status(t.lastStatus))],
        ['Desired status', status(t.desiredStatus)],
        ['Task definition', link(`#/taskdefs/${enc(taskdefName(t.taskDefinitionArn))}`, taskdefName(t.taskDefinitionArn))],
        ['Group', t.group],
        ['Container instance', lastPart(t.containerInstanceArn)],
        ['CPU / memory', `${t.cpu || '-'} / ${t.memory || '-'}`],
        ['Started', when(t.startedAt)],
        ['Stopped', when(t.stoppedAt)],
        ['Stop code', t.stopCode],
        ['Stopped reason', h('span', { id: 'stopped-reason' }, t.stoppedReason || '-')],
      ]),
    );
    replace(containers, containersTable(t));
    if (tailing) return;
    const td = await call('ecs', 'DescribeTaskDefinition', { taskDefinition: t.taskDefinitionArn });
    const defs = (td.taskDefinition && td.taskDefinition.containerDefinitions) || [];
    const found = defs
      .filter((d) => d.logConfiguration && d.logConfiguration.logDriver === 'awslogs')
      .map((d) => [d.name, awslogsStream(d, (t.containers || []).find((c) => c.name === d.name), taskId)]);
    if (found.some(([, where]) => !where)) return; // a stream named by a runtime id not known yet
    tailing = true;
    const parts = found.map(([name, where]) => tail(ctx, name, where));
    replace(logs, parts.length ? parts : h('p', { class: 'empty' }, 'No container logs to awslogs: no live tail (berth logs TASK reads local logs).'));
  });
}
