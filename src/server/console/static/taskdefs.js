// taskdefs.js - task definition families with their revisions, and one
// revision: its containers and the whole definition as JSON.
import { call, callAll } from './api.js';
import { h, replace, table, status, facts, when, link, enc, taskdefName } from './dom.js';

export async function list(ctx) {
  const body = h('div', { id: 'taskdefs' });
  ctx.main.append(h('h1', {}, 'Task definitions'), body);
  await ctx.every(async () => {
    const arns = await callAll('ecs', 'ListTaskDefinitions', { sort: 'DESC' }, 'taskDefinitionArns');
    const families = new Map();
    for (const arn of arns) {
      const name = taskdefName(arn);
      const family = name.slice(0, name.lastIndexOf(':'));
      if (!families.has(family)) families.set(family, []);
      families.get(family).push(name);
    }
    const rows = [...families.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    replace(
      body,
      table(
        [{ title: 'Family' }, { title: 'Latest' }, { title: 'Active revisions' }],
        rows.map(([family, names]) => ({
          attrs: { dataset: { family } },
          cells: [family, link(`#/taskdefs/${enc(names[0])}`, names[0]), names.map((n) => [link(`#/taskdefs/${enc(n)}`, n.slice(family.length + 1)), ' '])],
        })),
        'No active task definitions.',
      ),
    );
  }, 30000);
}

export async function detail(ctx, name) {
  const r = await call('ecs', 'DescribeTaskDefinition', { taskDefinition: name });
  const td = r.taskDefinition;
  ctx.main.append(
    h('div', { class: 'crumbs' }, link('#/taskdefs', 'Task definitions'), ' / ', name),
    h('h1', {}, `Task definition ${name}`),
    h(
      'div',
      { class: 'card' },
      facts([
        ['Status', status(td.status)],
        ['Network mode', td.networkMode || 'bridge'],
        ['CPU / memory', `${td.cpu || '-'} / ${td.memory || '-'}`],
        ['Task role', td.taskRoleArn],
        ['Execution role', td.executionRoleArn],
        ['Registered', when(td.registeredAt)],
      ]),
    ),
    h('h2', {}, 'Containers'),
    table(
      [
        { title: 'Name' },
        { title: 'Image' },
        { title: 'CPU', cls: 'num' },
        { title: 'Memory', cls: 'num' },
        { title: 'Essential' },
        { title: 'Command' },
        { title: 'Ports' },
        { title: 'Logs' },
      ],
      (td.containerDefinitions || []).map((c) => [
        c.name,
        h('span', { class: 'mono' }, c.image),
        c.cpu ?? '-',
        c.memory ?? c.memoryReservation ?? '-',
        c.essential === false ? 'no' : 'yes',
        h('span', { class: 'mono' }, (c.entryPoint || []).concat(c.command || []).join(' ')),
        (c.portMappings || []).map((p) => h('div', {}, `${p.hostPort ?? ''}:${p.containerPort}/${p.protocol || 'tcp'}`)),
        c.logConfiguration ? c.logConfiguration.logDriver : '-',
      ]),
    ),
    h('h2', {}, 'JSON'),
    h('pre', { class: 'json' }, JSON.stringify(td, null, 2)),
  );
}
