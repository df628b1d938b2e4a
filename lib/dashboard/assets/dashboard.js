// The jobs dashboard's page: plain JavaScript, no build step. Every piece of data (queue names, job
// ids, payloads, errors) reaches the page through textContent or a text node, never as HTML, so a
// payload holding <script> or <img onerror> shows as the text it is.
'use strict';

(() => {
  // The API sits beside this script's folder: <mount>/assets/dashboard.js → <mount>/api.
  const mount = new URL('..', document.currentScript.src).pathname.replace(/\/+$/, '');
  const api = `${mount}/api`;
  const REFRESH_MS = 3000;

  const state = {
    overview: null,
    /** Finished counts (completed + dead) at the previous refresh, per queue: the rates come from their change. */
    previousFinished: new Map(),
    rates: new Map(),
    /** Dead letters ticked for "Redrive selected", kept across refreshes. */
    selected: new Set(),
    timer: null,
  };

  /** An element with attributes and children; strings become text nodes, so data is never parsed as HTML. */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
      else if (name === 'checked' || name === 'disabled') element[name] = Boolean(value);
      else element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  async function call(path, body) {
    const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const response = await fetch(`${api}${path}`, { credentials: 'same-origin', ...init });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.message ? String(answer.message) : `${response.status} ${response.statusText}`);
    return answer;
  }

  function notify(text, isError) {
    const notice = document.getElementById('notice');
    notice.textContent = text;
    notice.className = isError ? 'error' : '';
  }

  const queueLink = (name, query) => h('a', { href: `#/queue/${encodeURIComponent(name)}${query ? `?${query}` : ''}` }, name);
  const jobLink = (id) => h('a', { href: `#/job/${encodeURIComponent(id)}`, class: 'job-link' }, id);
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
  const json = (value) => (value === undefined ? 'undefined' : JSON.stringify(value, null, 2));
  const cadence = (schedule) =>
    schedule.cron !== undefined ? `cron ${schedule.cron} (${schedule.tz ?? 'UTC'})` : `every ${schedule.every.toLocaleString()} ms`;
  const progressText = (progress) =>
    progress === null || progress === undefined ? '—' : typeof progress === 'number' ? String(progress) : JSON.stringify(progress);

  function route() {
    const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    return { view: parts[0] ?? 'queues', arg: parts[1], params: new URLSearchParams(query) };
  }

  // ---- queue list ----

  function noteRates(overview) {
    const now = Date.now();
    for (const queue of overview.queues) {
      const finished = queue.counts.completed + queue.counts.dead;
      const before = state.previousFinished.get(queue.name);
      // Retention dropping finished jobs shrinks the count: no rate is shown rather than a false one.
      state.rates.set(queue.name, before && finished >= before.finished ? (finished - before.finished) / ((now - before.at) / 1000) : null);
      state.previousFinished.set(queue.name, { finished, at: now });
    }
  }

  async function queuesView(overview) {
    const note =
      overview.queueSource === 'app'
        ? h('p', { class: 'muted' }, `${overview.backend} cannot name its queues: these are the queues this app declares or consumes.`)
        : null;
    const schedules = overview.capabilities.schedules ? await schedulesTable() : [];
    if (overview.queues.length === 0) return [h('h2', {}, 'Queues'), note, h('p', { class: 'muted' }, 'No queues yet.'), ...schedules];
    const count = (value, extra) => h('td', { class: `num ${extra ?? ''}` }, value);
    const rows = overview.queues.map((queue) => {
      const rate = state.rates.get(queue.name);
      const running = queue.consumers.filter((consumer) => consumer.state === 'running').length;
      return h(
        'tr',
        { 'data-queue': queue.name },
        h('td', {}, queueLink(queue.name)),
        h('td', {}, queue.type ?? '—'),
        count(queue.counts.waiting),
        count(queue.counts.delayed),
        count(queue.counts.active),
        count(queue.counts.completed),
        count(queue.counts.dead, `dead-count${queue.counts.dead > 0 ? ' nonzero' : ''}`),
        count(rate === null || rate === undefined ? '—' : rate.toFixed(1)),
        h('td', {}, queue.consumers.length === 0 ? '—' : `${running} of ${queue.consumers.length} running`),
        h('td', { class: `paused-state${queue.paused ? ' paused' : ''}` }, queue.paused ? 'paused' : '—'),
      );
    });
    const head = h(
      'tr',
      {},
      h('th', {}, 'Queue'),
      h('th', {}, 'Type'),
      ...['Waiting', 'Delayed', 'Active', 'Completed', 'Dead', 'Finished/s'].map((label) => h('th', { class: 'num' }, label)),
      h('th', {}, 'Consumers here'),
      h('th', {}, 'Paused'),
    );
    return [h('h2', {}, 'Queues'), note, h('table', { id: 'queues' }, h('thead', {}, head), h('tbody', {}, rows)), ...schedules];
  }

  async function schedulesTable() {
    const schedules = await call('/schedules');
    const heading = h('h2', {}, 'Schedules');
    if (schedules.length === 0) return [heading, h('p', { class: 'muted', id: 'no-schedules' }, 'No schedules.')];
    const rows = schedules.map((schedule) =>
      h(
        'tr',
        { 'data-schedule': `${schedule.queue}/${schedule.key}` },
        h('td', {}, schedule.key),
        h('td', {}, queueLink(schedule.queue)),
        h('td', {}, cadence(schedule)),
        h('td', { class: 'time' }, when(schedule.nextRunAt)),
        h('td', { class: 'num' }, schedule.priority),
        h('td', { class: 'payload' }, JSON.stringify(schedule.payload)),
      ),
    );
    const head = h('tr', {}, ...['Key', 'Queue', 'When', 'Next run', 'Priority', 'Input'].map((label) => h('th', {}, label)));
    return [heading, h('table', { id: 'schedules' }, h('thead', {}, head), h('tbody', {}, rows))];
  }

  // ---- one queue ----

  async function queueView(name, params) {
    const listable = state.overview?.listableStates ?? [];
    const queue = await call(`/queues/${encodeURIComponent(name)}`);
    const chosen = params.get('state') ?? (listable.includes('waiting') ? 'waiting' : listable[0]);
    const offset = Number(params.get('offset') ?? 0);
    const stateTabs = ['waiting', 'delayed', 'active', 'failed', 'completed', 'dead'].map((status) => {
      const label = status === 'failed' ? 'failed (retrying)' : `${status} ${queue.counts[status]}`;
      if (!listable.includes(status))
        return h('span', { class: 'muted', title: `${state.overview?.backend} cannot list ${status} jobs` }, label);
      return h(
        'a',
        { href: `#/queue/${encodeURIComponent(name)}?state=${status}`, class: status === chosen ? 'current' : '', 'data-state': status },
        label,
      );
    });
    const consumers = queue.consumers.map((c) =>
      h('li', {}, `${c.consumer}: ${c.state}, ${c.heldJobs} held of concurrency ${c.concurrency}, last took a job ${when(c.lastTakenAt)}`),
    );
    const parts = [
      h(
        'h2',
        {},
        h('a', { href: '#/', class: 'crumb' }, 'Queues'),
        ' / ',
        h('span', { id: 'queue-name' }, name),
        ' ',
        h('span', { class: 'muted' }, queue.type ?? ''),
        queue.paused ? h('span', { class: 'badge', id: 'queue-paused' }, 'paused') : null,
      ),
      pauseToolbar(name, queue.paused),
      h('div', { class: 'states' }, stateTabs),
      consumers.length > 0 ? h('ul', { class: 'muted' }, consumers) : null,
    ];
    if (chosen) parts.push(...(await jobList(name, chosen, offset)));
    return parts;
  }

  /** Pause or resume, where the backend can and the dashboard is writable. */
  function pauseToolbar(queue, paused) {
    if (!state.overview?.capabilities.pause || state.overview.readOnly) return null;
    return h(
      'div',
      { class: 'toolbar' },
      paused
        ? h('button', { id: 'resume-queue', onclick: () => setPaused(queue, false) }, 'Resume')
        : h('button', { id: 'pause-queue', onclick: () => setPaused(queue, true) }, 'Pause'),
      h(
        'span',
        { class: 'muted' },
        paused ? 'No consumer takes its jobs until it is resumed.' : 'Pausing stops every consumer, in every process.',
      ),
    );
  }

  async function jobList(queue, status, offset) {
    const page = await call(`/queues/${encodeURIComponent(queue)}/jobs?state=${status}&offset=${offset}&limit=50`);
    const dead = status === 'dead';
    const writable = dead && !state.overview?.readOnly;
    const pageIds = new Set(page.jobs.map((job) => job.id));
    for (const id of state.selected) if (!pageIds.has(id)) state.selected.delete(id);
    const toolbar = writable
      ? h(
          'div',
          { class: 'toolbar' },
          h('button', { id: 'redrive-selected', onclick: () => redrive(queue, { ids: [...state.selected] }) }, 'Redrive selected'),
          h('button', { id: 'redrive-all', disabled: page.total === 0, onclick: () => redrive(queue, { all: true }) }, 'Redrive all'),
          h(
            'button',
            { id: 'purge-dead', class: 'danger', disabled: page.total === 0, onclick: () => purge(queue, page.total) },
            'Purge dead letters',
          ),
        )
      : null;
    const rows = page.jobs.map((job) =>
      h(
        'tr',
        { 'data-job': job.id },
        writable
          ? h(
              'td',
              {},
              h('input', {
                type: 'checkbox',
                'aria-label': `select ${job.id}`,
                checked: state.selected.has(job.id),
                onchange: (event) => (event.target.checked ? state.selected.add(job.id) : state.selected.delete(job.id)),
              }),
            )
          : null,
        h('td', {}, jobLink(job.id)),
        h('td', {}, job.name),
        h('td', { class: `status-${job.status}` }, job.status),
        h('td', { class: 'num' }, job.attempt),
        h('td', { class: 'time' }, when(job.createdAt)),
        h('td', { class: 'error' }, job.error ? `${job.error.name}: ${job.error.message}` : ''),
        writable ? h('td', {}, h('button', { class: 'redrive-one', onclick: () => redrive(queue, { ids: [job.id] }) }, 'Redrive')) : null,
      ),
    );
    const head = h(
      'tr',
      {},
      writable ? h('th', {}, '') : null,
      ...['Id', 'Name', 'Status', 'Attempt', 'Created', 'Error'].map((label) => h('th', {}, label)),
      writable ? h('th', {}, '') : null,
    );
    const last = Math.min(offset + page.jobs.length, page.total);
    const pager = h(
      'div',
      { class: 'toolbar' },
      h('span', { class: 'muted' }, page.total === 0 ? `No ${status} jobs` : `${offset + 1}–${last} of ${page.total}`),
      offset > 0
        ? h('a', { href: `#/queue/${encodeURIComponent(queue)}?state=${status}&offset=${Math.max(0, offset - 50)}` }, '← newer')
        : null,
      last < page.total ? h('a', { href: `#/queue/${encodeURIComponent(queue)}?state=${status}&offset=${offset + 50}` }, 'older →') : null,
    );
    return [h('h3', {}, `${status} jobs`), toolbar, h('table', { id: 'jobs' }, h('thead', {}, head), h('tbody', {}, rows)), pager];
  }

  // ---- one job ----

  async function jobView(id) {
    const job = await call(`/jobs/${encodeURIComponent(id)}`);
    const field = (label, value, extra) => [h('dt', {}, label), h('dd', extra ?? {}, value)];
    const writable = job.status === 'dead' && !state.overview?.readOnly;
    return [
      h('h2', {}, 'Job ', h('span', { id: 'job-id' }, job.id)),
      h(
        'dl',
        { class: 'fields' },
        field('Queue', queueLink(job.queue, 'state=dead')),
        field('Name', job.name),
        field('Status', job.status, { id: 'job-status', class: `status-${job.status}` }),
        field('Attempt', job.attempt),
        field('Priority', job.priority),
        field('Created', when(job.createdAt)),
        field('Started', when(job.startedAt)),
        field('Finished', when(job.finishedAt)),
        field('Due', when(job.runAt)),
        field('Progress', progressText(job.progress), { id: 'job-progress' }),
      ),
      writable
        ? h(
            'div',
            { class: 'toolbar' },
            h('button', { id: 'redrive-job', onclick: () => redrive(job.queue, { ids: [job.id] }) }, 'Redrive'),
          )
        : null,
      h('h3', {}, 'Payload'),
      h('pre', { id: 'job-payload' }, json(job.payload)),
      h('h3', {}, 'Result'),
      h('pre', { id: 'job-result' }, json(job.result)),
      h('h3', {}, 'Error'),
      job.error
        ? h(
            'div',
            { id: 'job-error' },
            h('p', { class: 'error' }, `${job.error.name}: ${job.error.message}`),
            h('p', { class: 'muted' }, `attempt ${job.error.attempt}, ${when(job.error.failedAt)}`),
            job.error.stack ? h('pre', {}, job.error.stack) : null,
          )
        : h('p', { class: 'muted' }, 'none'),
    ];
  }

  // ---- changes ----

  async function redrive(queue, selection) {
    if (selection.ids && selection.ids.length === 0) return notify('Tick the dead letters to redrive first.', true);
    if (selection.all && !confirm(`Redrive every dead letter of ${queue}?`)) return;
    try {
      const { redriven } = await call(`/queues/${encodeURIComponent(queue)}/redrive`, selection);
      state.selected.clear();
      notify(`${redriven} dead letter${redriven === 1 ? '' : 's'} of ${queue} back to waiting.`);
    } catch (error) {
      notify(error.message, true);
    }
    refresh();
  }

  async function purge(queue, total) {
    if (!confirm(`Delete all ${total} dead letters of ${queue}? This cannot be undone.`)) return;
    try {
      const { purged } = await call(`/queues/${encodeURIComponent(queue)}/purge-dead`, {});
      notify(`${purged} dead letter${purged === 1 ? '' : 's'} of ${queue} deleted.`);
    } catch (error) {
      notify(error.message, true);
    }
    refresh();
  }

  async function setPaused(queue, paused) {
    try {
      await call(`/queues/${encodeURIComponent(queue)}/${paused ? 'pause' : 'resume'}`, {});
      notify(paused ? `${queue} paused: its consumers take no jobs until it is resumed.` : `${queue} resumed.`);
    } catch (error) {
      notify(error.message, true);
    }
    refresh();
  }

  // ---- refresh ----

  let rendering = Promise.resolve();

  function refresh() {
    clearTimeout(state.timer);
    // One render at a time: a click during a refresh waits for it instead of racing it.
    rendering = rendering.then(render, render);
  }

  async function render() {
    const view = document.getElementById('view');
    try {
      state.overview = await call('/overview');
      noteRates(state.overview);
      document.getElementById('backend').textContent = state.overview.backend;
      document.getElementById('read-only').hidden = !state.overview.readOnly;
      const { view: name, arg, params } = route();
      const content =
        name === 'queue' && arg
          ? await queueView(arg, params)
          : name === 'job' && arg
            ? await jobView(arg)
            : await queuesView(state.overview);
      view.replaceChildren(...content.filter(Boolean));
      document.getElementById('refreshed').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      view.replaceChildren(h('p', { class: 'error', id: 'view-error' }, error.message));
    }
    state.timer = setTimeout(refresh, REFRESH_MS);
  }

  document.getElementById('lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = document.getElementById('lookup-id').value.trim();
    if (id) location.hash = `#/job/${encodeURIComponent(id)}`;
  });
  window.addEventListener('hashchange', () => {
    notify('');
    refresh();
  });
  refresh();
})();
