// instances.js - a cluster's container instances: status, agent
// connection, task counts, and CPU/memory bars (registered vs remaining).
import { callAll, describeBatched } from './api.js';
import { h, replace, table, status, when, lastPart } from './dom.js';
import { clusterHeader } from './clusters.js';

function resource(list, name) {
  const r = (list || []).find((x) => x.name === name);
  return r ? Number(r.integerValue ?? r.doubleValue ?? 0) : 0;
}

// A bar of what is reserved: registered - remaining, out of registered.
function bar(inst, name, unit) {
  const total = resource(inst.registeredResources, name);
  const free = resource(inst.remainingResources, name);
  const used = Math.max(0, total - free);
  const pct = total > 0 ? (100 * used) / total : 0;
  const fill = h('div', { class: pct >= 90 ? 'fill high' : 'fill' });
  fill.style.width = `${pct.toFixed(1)}%`; // CSSOM, which the CSP allows (no style attribute)
  return h(
    'div',
    { class: 'resource' },
    h('div', { class: 'bar', dataset: { resource: name, used, total } }, fill),
    h('div', { class: 'label' }, `${used} / ${total} ${unit} reserved, ${free} free`),
  );
}

export async function list(ctx, cluster) {
  clusterHeader(ctx, cluster, 'Container instances');
  const body = h('div', { id: 'instances' });
  ctx.main.append(body);
  await ctx.every(async () => {
    const arns = await callAll('ecs', 'ListContainerInstances', { cluster }, 'containerInstanceArns');
    const insts = await describeBatched(
      'ecs',
      'DescribeContainerInstances',
      { cluster },
      'containerInstances',
      arns,
      'containerInstances',
      100,
    );
    replace(
      body,
      table(
        [
          { title: 'Instance' },
          { title: 'Status' },
          { title: 'Agent' },
          { title: 'Running', cls: 'num' },
          { title: 'Pending', cls: 'num' },
          { title: 'CPU reserved' },
          { title: 'Memory reserved' },
          { title: 'Registered' },
        ],
        insts.map((i) => ({
          attrs: { dataset: { instance: lastPart(i.containerInstanceArn) } },
          cells: [
            h('div', {}, h('div', { class: 'mono' }, lastPart(i.containerInstanceArn)), h('div', { class: 'hint' }, i.ec2InstanceId || '')),
            status(i.status),
            i.agentConnected ? 'connected' : 'disconnected',
            i.runningTasksCount,
            i.pendingTasksCount,
            bar(i, 'CPU', 'units'),
            bar(i, 'MEMORY', 'MiB'),
            when(i.registeredAt),
          ],
        })),
        'No container instances: start an agent (berth agent --cluster ...).',
      ),
    );
  });
}
