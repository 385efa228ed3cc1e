// clusters.js - the clusters list, and a cluster's page header (tabs) and
// its services tab.
import { callAll, describeBatched } from './api.js';
import { h, replace, table, status, link, enc, taskdefName } from './dom.js';

export function clusterHeader(ctx, cluster, active) {
  const tab = (name, href) => link(href, name, { class: active === name ? 'active' : undefined });
  const base = `#/clusters/${enc(cluster)}`;
  ctx.main.append(
    h('div', { class: 'crumbs' }, link('#/', 'Clusters'), ' / ', cluster),
    h('h1', {}, `Cluster ${cluster}`),
    h(
      'nav',
      { class: 'tabs' },
      tab('Services', base),
      tab('Tasks', `${base}/tasks`),
      tab('Container instances', `${base}/instances`),
    ),
  );
}

export async function list(ctx) {
  const body = h('div', { id: 'clusters' });
  ctx.main.append(h('h1', {}, 'Clusters'), body);
  await ctx.every(async () => {
    const arns = await callAll('ecs', 'ListClusters', {}, 'clusterArns');
    const clusters = await describeBatched('ecs', 'DescribeClusters', {}, 'clusters', arns, 'clusters', 100);
    clusters.sort((a, b) => a.clusterName.localeCompare(b.clusterName));
    replace(
      body,
      table(
        [
          { title: 'Cluster' },
          { title: 'Status' },
          { title: 'Services', cls: 'num' },
          { title: 'Running tasks', cls: 'num' },
          { title: 'Pending tasks', cls: 'num' },
          { title: 'Container instances', cls: 'num' },
        ],
        clusters.map((c) => ({
          attrs: { dataset: { cluster: c.clusterName } },
          cells: [
            link(`#/clusters/${enc(c.clusterName)}`, c.clusterName),
            status(c.status),
            c.activeServicesCount,
            c.runningTasksCount,
            c.pendingTasksCount,
            c.registeredContainerInstancesCount,
          ],
        })),
        'No clusters yet: aws ecs create-cluster --cluster-name NAME',
      ),
    );
  });
}

export async function services(ctx, cluster) {
  clusterHeader(ctx, cluster, 'Services');
  const body = h('div', { id: 'services' });
  ctx.main.append(body);
  await ctx.every(async () => {
    const arns = await callAll('ecs', 'ListServices', { cluster }, 'serviceArns');
    const svcs = await describeBatched('ecs', 'DescribeServices', { cluster }, 'services', arns, 'services', 10);
    svcs.sort((a, b) => a.serviceName.localeCompare(b.serviceName));
    replace(
      body,
      table(
        [
          { title: 'Service' },
          { title: 'Status' },
          { title: 'Desired', cls: 'num' },
          { title: 'Running', cls: 'num' },
          { title: 'Pending', cls: 'num' },
          { title: 'Task definition' },
          { title: 'Deployments' },
        ],
        svcs.map((s) => ({
          attrs: { dataset: { service: s.serviceName } },
          cells: [
            link(`#/clusters/${enc(cluster)}/services/${enc(s.serviceName)}`, s.serviceName),
            status(s.status),
            h('span', { class: 'desired' }, s.desiredCount),
            h('span', { class: 'running' }, s.runningCount),
            h('span', { class: 'pending' }, s.pendingCount),
            link(`#/taskdefs/${enc(taskdefName(s.taskDefinition))}`, taskdefName(s.taskDefinition)),
            (s.deployments || []).map((d) => h('div', {}, status(d.status), ' ', d.rolloutState || '')),
          ],
        })),
        'No services in this cluster.',
      ),
    );
  });
}

