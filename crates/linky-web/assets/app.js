// linky's dashboard: reads the JSON API of the same server and draws plain SVG charts.
// No library and no outside request, so it works without internet and under a strict CSP.
'use strict';

const TEXT = {
  fr: {
    meter: 'Compteur', status: 'État', totals: 'Totaux des périodes', byHour: 'Par heure (7 jours)',
    byDay: 'Par jour (60 jours)', byMonth: 'Par mois (24 derniers mois)', byYear: 'Par année',
    power: 'Puissance maximale quotidienne', calendar: 'Complétude des données (un carré par jour)',
    footer: 'linky — données Enedis stockées sur cette machine', switchTo: 'English',
    lastSync: 'Dernière synchronisation', nextSync: 'Prochaine synchronisation', callsToday: "Appels Enedis aujourd'hui",
    errorsToday: "Erreurs Enedis aujourd'hui", consent: 'Consentement', domoticz: 'Domoticz', none: 'aucune',
    notConfigured: 'non configuré', noPush: 'aucun envoi encore', daysLeft: 'jours restants', renew: 'à renouveler avec `linky login`',
    lost: 'perdu', calls: 'appels', devices: 'dispositifs', rows: 'lignes', subscribed: 'Puissance souscrite', offpeakHours: 'Heures creuses du contrat',
    period: 'Période', consumption: 'Consommation', production: 'Production', peak: 'HP', offpeak: 'HC', unsplit: 'non répartie',
    total: 'Total', maxPower: 'Puissance max', noData: 'Pas de données pour cette période.',
    consTotal: 'Consommation totale', cost: 'Coût', yearBefore: 'Il y a un an', costs: 'Ce que coûte votre électricité',
    notYetPublished: 'pas encore publié par Enedis', missingDay: 'manquant', roleC: 'Consommation', roleP: 'Production', roleCP: 'Consommation et production',
    assumed: 'supposé d’après le contrat (réglez [tariff] dans les réglages pour être exact)', regulated: 'Tarif réglementé (Tarif Bleu)', yourPrices: 'Vos prix',
    compareTitle: 'Et avec une autre option ? (12 derniers mois, prix réglementés, énergie seule)', option: 'Option', energyCost: 'Coût de l’énergie', above: 'Écart',
    cheapest: 'la moins chère', standardOffpeak: 'Ce compteur n’a pas d’heures creuses : l’option HP/HC est calculée avec des heures creuses de 22 h à 6 h.',
    pricesUntil: 'Prix réglementés : dernière grille connue, celle du', incomplete: 'jours manquants', nothing: 'aucune donnée', yourCurrent: 'Vos prix sur la même période', estimate: 'estimation : certains jours ne sont connus que par leur total ou leur couleur Tempo',
    base: 'Base', hphc: 'Heures pleines / creuses', tempo: 'Tempo', ejp: 'EJP', subscriptionMissing: 'abonnement non compté (réglez tariff.subscription)',
    download: 'Télécharger', household: 'Foyer', householdTitle: 'Consommation et production ensemble', net: 'net', netTitle: 'consommé moins produit', noDataYet: 'Aucune donnée encore : la première synchronisation télécharge l’historique (lancez `linky sync`, ou attendez le démon).',
    weekdays: ['L', 'M', 'M', 'J', 'V', 'S', 'D'], power_kva: 'kVA',
    consPeak: 'Consommation HP', consOffpeak: 'Consommation HC', consUnsplit: 'Consommation (total du jour, non répartie)',
    prodPeak: 'Production HP', prodOffpeak: 'Production HC', prodUnsplit: 'Production (non répartie)',
    dailyPeak: 'Pic du jour', limit: 'Puissance souscrite',
    day: 'Hier', cweek: 'Semaine en cours', lweek: 'Semaine dernière', cmonth: 'Mois en cours', lmonth: 'Mois dernier', year: 'Année',
    complete: 'complet', partial: 'partiel', missing: 'manquant', not_published: 'pas encore publié', absent: 'absent',
    fetched: 'récupéré', failed: 'échec, nouvel essai prévu', refetch: 'à redemander', mismatch: 'incohérent',
    curve: 'courbe', daily: 'énergie du jour', max_power: 'puissance max', cons: 'consommation', prod: 'production',
    ok: 'réussie', quota: 'quota Enedis atteint', unauthorized: 'accès refusé (relancez `linky login`)', unavailable: 'Enedis indisponible',
    consent_lost: 'consentement perdu', loading: 'Chargement…', noMeter: "Aucun compteur enregistré : lancez `linky login` puis `linky sync`.", tapCell: 'Touchez ou survolez un jour pour voir la raison.',
    earlier: 'Période précédente', later: 'Période suivante', pushOk: 'dernier envoi réussi', pushFailed: 'dernier envoi en échec',
    reasons: { before_activation: 'avant la mise en service du compteur', no_data_found: "Enedis n'a pas de données",
      beyond_history: "plus ancien que ce qu'Enedis conserve", refetched: 'redemandé après une incohérence',
      wrong_direction: 'le compteur ne mesure pas ce sens', curve_not_enabled: "la courbe de charge n'est pas activée" },
  },
  en: {
    meter: 'Meter', status: 'Status', totals: 'Period totals', byHour: 'By hour (7 days)',
    byDay: 'By day (60 days)', byMonth: 'By month (last 24 months)', byYear: 'By year',
    power: 'Daily maximum power', calendar: 'Data completeness (one square per day)',
    footer: 'linky — Enedis data stored on this machine', switchTo: 'Français',
    lastSync: 'Last sync', nextSync: 'Next sync', callsToday: 'Enedis calls today',
    errorsToday: 'Enedis errors today', consent: 'Consent', domoticz: 'Domoticz', none: 'none',
    notConfigured: 'not configured', noPush: 'no push yet', daysLeft: 'days left', renew: 'renew it with `linky login`',
    lost: 'lost', calls: 'calls', devices: 'devices', rows: 'rows', subscribed: 'Subscribed power', offpeakHours: 'Contract off-peak hours',
    period: 'Period', consumption: 'Consumption', production: 'Production', peak: 'Peak', offpeak: 'Off-peak', unsplit: 'unsplit',
    total: 'Total', maxPower: 'Max power', noData: 'No data for this period.',
    consTotal: 'Total consumption', cost: 'Cost', yearBefore: 'A year before', costs: 'What your electricity costs',
    notYetPublished: 'not yet published by Enedis', missingDay: 'missing', roleC: 'Consumption', roleP: 'Production', roleCP: 'Consumption and production',
    assumed: 'assumed from the contract (set [tariff] in the settings to be exact)', regulated: 'Regulated tariff (Tarif Bleu)', yourPrices: 'Your prices',
    compareTitle: 'What would another option have cost? (last 12 months, regulated prices, energy only)', option: 'Option', energyCost: 'Energy cost', above: 'Difference',
    cheapest: 'the cheapest', standardOffpeak: 'This meter has no off-peak hours: the peak / off-peak option is priced with off-peak hours from 22:00 to 06:00.',
    pricesUntil: 'Regulated prices: the newest grid known is that of', incomplete: 'days missing', nothing: 'no data', yourCurrent: 'Your prices over the same days', estimate: 'estimate: some days are known only by their total or their Tempo colour',
    base: 'Base', hphc: 'Peak / off-peak', tempo: 'Tempo', ejp: 'EJP', subscriptionMissing: 'subscription not counted (set tariff.subscription)',
    download: 'Download', household: 'Household', householdTitle: 'Consumption and production together', net: 'net', netTitle: 'consumed minus produced', noDataYet: 'No data yet: the first sync downloads the history (run `linky sync`, or wait for the daemon).',
    weekdays: ['M', 'T', 'W', 'T', 'F', 'S', 'S'], power_kva: 'kVA',
    consPeak: 'Consumption, peak', consOffpeak: 'Consumption, off-peak', consUnsplit: 'Consumption (daily total, unsplit)',
    prodPeak: 'Production, peak', prodOffpeak: 'Production, off-peak', prodUnsplit: 'Production (unsplit)',
    dailyPeak: 'Daily peak', limit: 'Subscribed power',
    day: 'Yesterday', cweek: 'This week', lweek: 'Last week', cmonth: 'This month', lmonth: 'Last month', year: 'Year',
    complete: 'complete', partial: 'partial', missing: 'missing', not_published: 'not yet published', absent: 'absent',
    fetched: 'fetched', failed: 'failed, will retry', refetch: 'to ask again', mismatch: 'inconsistent',
    curve: 'load curve', daily: 'daily energy', max_power: 'max power', cons: 'consumption', prod: 'production',
    ok: 'succeeded', quota: 'Enedis quota reached', unauthorized: 'access refused (run `linky login` again)', unavailable: 'Enedis unavailable',
    consent_lost: 'consent lost', loading: 'Loading…', noMeter: 'No meter stored yet: run `linky login`, then `linky sync`.', tapCell: 'Tap or hover a day to see why.',
    earlier: 'Earlier', later: 'Later', pushOk: 'last push succeeded', pushFailed: 'last push failed',
    reasons: { before_activation: "before the meter's activation", no_data_found: 'Enedis has no data',
      beyond_history: 'older than Enedis keeps', refetched: 'asked again after a mismatch',
      wrong_direction: 'the meter does not measure this direction', curve_not_enabled: 'the load curve is not enabled' },
  },
};

const state = {
  lang: pickLang(),
  ranges: {},
  latest: {},
  status: null,
  meter: null,
  series: {},
  totals: null,
  power: null,
  calendar: null,
  compare: null,
};

function pickLang() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'fr' || asked === 'en') return asked;
  try {
    const kept = localStorage.getItem('linky.lang');
    if (kept === 'fr' || kept === 'en') return kept;
  } catch (e) { /* storage may be off: the page's language stays */ }
  return document.documentElement.lang === 'en' ? 'en' : 'fr';
}

function t(key) { return TEXT[state.lang][key] ?? key; }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function locale() { return state.lang === 'fr' ? 'fr-FR' : 'en-GB'; }
function kwh(wh) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: wh >= 100000 ? 0 : 2 }).format(wh / 1000) + ' kWh';
}
function euros(v) {
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'EUR', maximumFractionDigits: v >= 1000 ? 0 : 2 }).format(v);
}
function kva(va) {
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(va / 1000)} kVA`;
}
function percent(v) {
  return `${v > 0 ? '+' : ''}${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(v)} %`;
}
// "23–29 nov." for a span, one date for a day.
function spanText(from, to) {
  const f = (iso, opts) => new Intl.DateTimeFormat(locale(), { ...opts, timeZone: 'UTC' }).format(new Date(iso + 'T00:00:00Z'));
  if (from === to) return f(from, { day: 'numeric', month: 'short' });
  if (from.slice(0, 7) === to.slice(0, 7)) return `${f(from, { day: 'numeric' })}–${f(to, { day: 'numeric', month: 'short' })}`;
  if (from.slice(0, 4) === to.slice(0, 4)) return `${f(from, { day: 'numeric', month: 'short' })} – ${f(to, { day: 'numeric', month: 'short' })}`;
  return `${f(from, { dateStyle: 'medium' })} – ${f(to, { dateStyle: 'medium' })}`;
}
function parisDay(date) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(date);
}
function when(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(new Date(iso));
}
function dayText(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(iso + 'T00:00:00Z'));
}

async function api(path) {
  const response = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { const body = await response.json(); message = body.error[state.lang] || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response.json();
}

function showError(error) {
  const box = document.getElementById('error');
  box.textContent = String(error.message || error);
  box.hidden = false;
}

// ---- status -------------------------------------------------------------------------------

function renderStatus() {
  const s = state.status;
  const host = document.getElementById('status');
  host.replaceChildren();
  const facts = el('dl', { class: 'facts' });
  const add = (label, value, cls) => {
    facts.append(el('dt', {}, label), el('dd', cls ? { class: cls } : {}, value));
  };
  if (s.last_sync) {
    const okay = s.last_sync.outcome === 'ok';
    add(t('lastSync'), `${when(s.last_sync.at)} — ${t(s.last_sync.outcome)} (${s.last_sync.calls} ${t('calls')})`, okay ? 'ok' : 'bad');
  } else {
    add(t('lastSync'), t('none'));
  }
  add(t('nextSync'), s.next_sync ? when(s.next_sync) : '—');
  add(t('callsToday'), String(s.calls_today));
  // Enedis answers "no such direction" or "no data" with an error, which is how linky learns
  // them: only the other kinds deserve attention.
  const expected = ['wrong_direction', 'no_data', 'no_data_found', 'before_activation', 'beyond_history', 'curve_not_enabled'];
  const errors = Object.entries(s.errors_today).filter(([k]) => !expected.includes(k))
    .map(([k, n]) => `${t(k)} × ${n}`).join(', ');
  add(t('errorsToday'), errors || t('none'), errors ? 'warn' : '');
  const m = s.meters.find((x) => x.pdl === mainPdl());
  if (m) {
    if (m.consent_lost) add(t('consent'), `${t('lost')} (${m.consent_lost}) — ${t('renew')}`, 'bad');
    else if (m.consent_ends_at) {
      const text = `${when(m.consent_ends_at)} (${m.consent_days_left} ${t('daysLeft')})`;
      add(t('consent'), m.consent_warning ? `${text} — ${t('renew')}` : text, m.consent_warning ? 'warn' : '');
    }
    if (m.subscribed_kva) add(t('subscribed'), kva(m.subscribed_kva * 1000));
    if (m.contract_offpeak) add(t('offpeakHours'), m.contract_offpeak);
  }
  const d = s.domoticz;
  let dz = t('notConfigured');
  let cls = '';
  if (d.configured) {
    const push = d.last_push;
    if (!push) dz = t('noPush');
    else {
      dz = `${push.ok ? t('pushOk') : t('pushFailed')}: ${when(push.at)}`;
      if (!push.ok && push.error) dz += ` — ${push.error[state.lang] || ''}`;
      cls = push.ok ? 'ok' : 'bad';
    }
    if (d.devices.length) dz += ` · ${d.devices.map((x) => `${x.key} → idx ${x.idx} (${x.rows} ${t('rows')})`).join(', ')}`;
  }
  add(t('domoticz'), dz, cls);
  host.append(facts);
}

// ---- totals -------------------------------------------------------------------------------

// Yesterday with nothing yet: before the daily sync has fetched it, it is "not yet
// published", never a red zero.
function dayNotYet(p) {
  if (p.period !== 'day' || p.complete || p.consumption.total_wh > 0 || p.production.total_wh > 0) return null;
  const s = state.status;
  const syncedToday = s.last_sync && parisDay(new Date(s.last_sync.at)) === parisDay(new Date(s.now));
  if (syncedToday) return t('missingDay');
  return s.next_sync ? `${t('notYetPublished')} — ${t('nextSync')} : ${when(s.next_sync)}` : t('notYetPublished');
}

// Three or four columns, the details in small lines beneath, so the table fits a phone.
function renderTotals() {
  const host = document.getElementById('totals');
  host.replaceChildren();
  const periods = state.totals.periods;
  const consumption = periods.some((p) => p.consumption.total_wh > 0);
  const production = periods.some((p) => p.production.total_wh > 0);
  const costs = periods.some((p) => p.cost);
  const table = el('table', { id: 'totals-table' });
  const head = [el('th', {}, t('period'))];
  if (consumption || !production) head.push(el('th', {}, production ? t('consumption') : t('consTotal')));
  if (costs) head.push(el('th', {}, t('cost')));
  if (production) head.push(el('th', {}, t('production')));
  table.append(el('tr', {}, ...head));
  for (const p of periods) {
    const name = el('td', { class: 'period' }, t(p.period), el('small', {}, spanText(p.from, p.to)));
    if (consumption && p.max_power_va) name.append(el('small', {}, `${t('maxPower')} ${kva(p.max_power_va)}`));
    const cells = [name];
    const notYet = dayNotYet(p);
    const empty = p.consumption.total_wh === 0 && p.production.total_wh === 0 && !p.complete;
    if (notYet || empty) {
      const state = notYet ? 'not-yet' : 'empty';
      cells.push(el('td', { class: 'not-yet', colspan: String(head.length - 1) }, notYet || t('nothing')));
      table.append(el('tr', { 'data-period': p.period, 'data-state': state }, ...cells));
      continue;
    }
    if (!p.complete) name.append(el('small', { class: 'incomplete' }, t('incomplete')));
    const y = p.year_before;
    const known = y && y.consumption_wh != null;
    const yearTitle = known ? `${t('yearBefore')} : ${spanText(y.from, y.to)}` : '';
    if (consumption || !production) {
      const c = p.consumption;
      const detail = c.unsplit_wh > 0 && c.peak_wh + c.offpeak_wh === 0
        ? t('unsplit')
        : `${t('peak')} ${kwh(c.peak_wh)} · ${t('offpeak')} ${kwh(c.offpeak_wh)}${c.unsplit_wh > 0 ? ` · ${t('unsplit')} ${kwh(c.unsplit_wh)}` : ''}`;
      const cell = el('td', {}, kwh(c.total_wh), el('small', {}, detail));
      if (known) {
        const change = y.consumption_change_percent != null ? ` (${percent(y.consumption_change_percent)})` : '';
        cell.append(el('small', { class: 'year-before', title: yearTitle }, `${t('yearBefore')} : ${kwh(y.consumption_wh)}${change}`));
      }
      cells.push(cell);
    }
    if (costs) {
      const c = p.cost;
      const cell = el('td', c && c.basis !== 'measured' ? { title: t('estimate') } : {},
        c ? `${c.basis === 'measured' ? '' : '≈ '}${euros(c.total_eur)}` : '—');
      if (known && y.cost) {
        const change = y.cost_change_percent != null ? ` (${percent(y.cost_change_percent)})` : '';
        cell.append(el('small', { class: 'year-before', title: yearTitle }, `${t('yearBefore')} : ${euros(y.cost.total_eur)}${change}`));
      }
      cells.push(cell);
    }
    if (production) {
      const cell = el('td', {}, kwh(p.production.total_wh));
      // A household: what it drew from the grid beyond what it fed in.
      if (consumption) cell.append(el('small', { class: 'net', title: t('netTitle') }, `${t('net')} ${kwh(p.consumption.total_wh - p.production.total_wh)}`));
      cells.push(cell);
    }
    table.append(el('tr', { 'data-period': p.period }, ...cells));
  }
  host.append(table);
}

// ---- costs --------------------------------------------------------------------------------

function tariffLine(tariff) {
  if (!tariff) return '';
  const name = tariff.assumed ? `${t('regulated')} ${t(tariff.option)} (${tariff.power_kva} kVA), ${t('assumed')}`
    : `${t('yourPrices')} — ${t(tariff.option)} (${tariff.power_kva} kVA)`;
  return tariff.subscription ? name : `${name} · ${t('subscriptionMissing')}`;
}

function renderCosts() {
  const card = document.getElementById('costs-card');
  const host = document.getElementById('costs');
  host.replaceChildren();
  const c = state.compare && state.compare.comparison;
  card.hidden = !c;
  if (!c) return;
  host.append(el('p', { class: 'tariff' }, tariffLine(state.compare.tariff)));
  host.append(el('h3', {}, t('compareTitle')));
  const table = el('table', { id: 'compare-table' });
  table.append(el('tr', {}, el('th', {}, t('option')), el('th', {}, t('energyCost')), el('th', {}, t('above'))));
  for (const o of c.options) {
    const mark = o.basis === 'measured' ? '' : '≈ ';
    table.append(el('tr', { 'data-option': o.option, title: o.basis === 'measured' ? '' : t('estimate') },
      el('td', {}, t(o.option)), el('td', {}, mark + euros(o.energy_eur)),
      el('td', {}, o.above_cheapest_eur > 0 ? `+${euros(o.above_cheapest_eur)}` : t('cheapest'))));
  }
  host.append(el('div', { class: 'scroll' }, table));
  const notes = [`${spanText(c.from, c.to)} · ${kwh(c.consumption_wh)}`];
  if (c.current_eur != null) notes.push(`${t('yourCurrent')} : ${euros(c.current_eur)}`);
  if (c.standard_offpeak_assumed) notes.push(t('standardOffpeak'));
  notes.push(`${t('pricesUntil')} ${dayText(c.prices_known_until)}`);
  for (const n of notes) host.append(el('p', { class: 'note' }, n));
}

// ---- charts -------------------------------------------------------------------------------

const HEIGHT = 240;
const PAD = { left: 76, right: 8, top: 10, bottom: 24 };

// One SVG unit per CSS pixel, so labels keep their size on a phone.
function chartWidth(host) { return Math.max(300, Math.round(host.clientWidth || 800)); }
// Room for a label every 90 pixels or so.
function labelEvery(count, width) { return Math.max(1, Math.ceil(count / Math.max(2, Math.floor((width - PAD.left) / 90)))); }

function legend(items) {
  return el('div', { class: 'legend' }, ...items.map(([cls, label]) => el('span', {}, el('i', { class: cls }), label)));
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// Consumption stacks upwards (peak, off-peak, unsplit), production downwards.
// With `span` (hour and day charts) each bar sits at its own time, so hours and days without
// data show as gaps; otherwise bars follow each other.
function energyChart(id, rows, labelOf, span) {
  const host = document.getElementById(id);
  host.replaceChildren();
  if (!rows.length) { host.append(el('p', { class: 'empty' }, t('noData'))); return; }
  const up = Math.max(0, ...rows.map((r) => r.consumption.total_wh));
  const down = Math.max(0, ...rows.map((r) => r.production.total_wh));
  // A production-only meter uses the whole height downwards, and the reverse.
  const top = up > 0 || down === 0 ? niceMax(up) : 0;
  const bottom = down > 0 ? niceMax(down) : 0;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const scale = plotH / (top + bottom);
  const zero = PAD.top + top * scale;
  const WIDTH = chartWidth(host);
  const plotW = WIDTH - PAD.left - PAD.right;
  const t0 = span ? Date.parse(span.start) : 0;
  const slots = span ? Math.max(1, Math.round((Date.parse(span.end) - t0) / span.slot)) : rows.length;
  const slotOf = (r, i) => (span ? Math.round((Date.parse(r.start) - t0) / span.slot) : i);
  const step = plotW / slots;
  const barW = Math.max(1, step * 0.8);
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'data-points': rows.length, 'aria-label': host.previousElementSibling?.textContent || '' });
  const ticks = top > 0 ? [[top, PAD.top], [top / 2, PAD.top + (top / 2) * scale], [0, zero]] : [[0, zero], [bottom / 2, zero + (bottom / 2) * scale]];
  for (const [value, y] of ticks) {
    chart.append(svg('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y }));
    chart.append(svg('text', { x: PAD.left - 4, y: y + 4, 'text-anchor': 'end' }, (top > 0 || value === 0 ? '' : '-') + kwh(value)));
  }
  if (bottom > 0) chart.append(svg('text', { x: PAD.left - 4, y: HEIGHT - PAD.bottom, 'text-anchor': 'end' }, `-${kwh(bottom)}`));
  const every = labelEvery(slots, WIDTH);
  let labelled = -Infinity;
  rows.forEach((r, i) => {
    const slot = slotOf(r, i);
    const x = PAD.left + slot * step + (step - barW) / 2;
    const g = svg('g', { class: 'point', 'data-label': r.label });
    let y = zero;
    for (const [cls, wh] of [['c-offpeak', r.consumption.offpeak_wh], ['c-peak', r.consumption.peak_wh], ['c-unsplit', r.consumption.unsplit_wh]]) {
      if (wh <= 0) continue;
      const h = wh * scale;
      y -= h;
      g.append(svg('rect', { class: cls, x, y, width: barW, height: h }));
    }
    let yd = zero;
    for (const [cls, wh] of [['p-offpeak', r.production.offpeak_wh], ['p-peak', r.production.peak_wh], ['p-unsplit', r.production.unsplit_wh]]) {
      if (wh <= 0) continue;
      const h = wh * scale;
      g.append(svg('rect', { class: cls, x, y: yd, width: barW, height: h }));
      yd += h;
    }
    const tip = [`${labelOf(r)}`, `${t('consumption')}: ${kwh(r.consumption.total_wh)} (${t('peak')} ${kwh(r.consumption.peak_wh)}, ${t('offpeak')} ${kwh(r.consumption.offpeak_wh)}${r.consumption.unsplit_wh ? `, ${t('unsplit')} ${kwh(r.consumption.unsplit_wh)}` : ''})`];
    if (r.production.total_wh) tip.push(`${t('production')}: ${kwh(r.production.total_wh)}`);
    if (r.max_power_va) tip.push(`${t('maxPower')}: ${kva(r.max_power_va)}`);
    if (r.cost) tip.push(`${t('cost')}: ${r.cost.basis === 'measured' ? '' : '≈ '}${euros(r.cost.total_eur)}`);
    // A transparent full-height target so thin bars are easy to hover or tap.
    g.append(svg('rect', { x: PAD.left + slot * step, y: PAD.top, width: step, height: plotH, fill: 'transparent' }, svg('title', {}, tip.join('\n'))));
    if (slot - labelled >= every) {
      labelled = slot;
      g.append(svg('text', { x: x + barW / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }, labelOf(r, true)));
    }
    chart.append(g);
  });
  chart.append(svg('line', { class: 'axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: zero, y2: zero }));
  host.append(chart);
  const items = [];
  if (up > 0 || down === 0) {
    items.push(['c-peak', t('consPeak')], ['c-offpeak', t('consOffpeak')]);
    if (rows.some((r) => r.consumption.unsplit_wh > 0)) items.push(['c-unsplit', t('consUnsplit')]);
  }
  if (down > 0) {
    items.push(['p-peak', t('prodPeak')], ['p-offpeak', t('prodOffpeak')]);
    if (rows.some((r) => r.production.unsplit_wh > 0)) items.push(['p-unsplit', t('prodUnsplit')]);
  }
  host.append(legend(items));
}

function hourLabel(r, short) {
  const d = new Date(r.start);
  if (short) return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', hour: '2-digit', timeZone: 'Europe/Paris' }).format(d);
  // The offset keeps the two autumn 02:00 apart.
  return `${new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(d)} (UTC${r.start.slice(19)})`;
}
function dayLabel(r, short) {
  return short ? new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(r.label + 'T00:00:00Z')) : dayText(r.label);
}
function monthLabel(r) {
  return new Intl.DateTimeFormat(locale(), { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(r.label + '-01T00:00:00Z'));
}
function yearLabel(r) { return r.label; }

function powerChart() {
  const host = document.getElementById('chart-power');
  host.replaceChildren();
  const p = state.power;
  if (!p.days.length) { host.append(el('p', { class: 'empty' }, t('noData'))); return; }
  const limit = p.subscribed_va || 0;
  const top = niceMax(Math.max(limit, ...p.days.map((d) => d.va)) * 1.05);
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const WIDTH = chartWidth(host);
  const plotW = WIDTH - PAD.left - PAD.right;
  // One slot per day of the range: days without a peak show as gaps.
  const dayIndex = (iso) => Math.round((Date.parse(iso + 'T00:00:00Z') - Date.parse(p.from + 'T00:00:00Z')) / 86400e3);
  const slots = dayIndex(p.to) + 1;
  const step = plotW / slots;
  const barW = Math.max(1, step * 0.8);
  const y = (va) => PAD.top + plotH - (va / top) * plotH;
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'data-points': p.days.length });
  for (const v of [0, top / 2, top]) {
    chart.append(svg('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }));
    chart.append(svg('text', { x: PAD.left - 4, y: y(v) + 4, 'text-anchor': 'end' }, `${(v / 1000).toLocaleString(locale())} kVA`));
  }
  const every = labelEvery(slots, WIDTH);
  let labelled = -Infinity;
  p.days.forEach((d) => {
    const slot = dayIndex(d.date);
    const x = PAD.left + slot * step + (step - barW) / 2;
    const g = svg('g', { class: 'point', 'data-label': d.date });
    g.append(svg('rect', { class: 'power-bar', x, y: y(d.va), width: barW, height: PAD.top + plotH - y(d.va) },
      svg('title', {}, `${dayText(d.date)}: ${kva(d.va)} (${d.at.slice(11, 16)})`)));
    if (slot - labelled >= every) {
      labelled = slot;
      g.append(svg('text', { x: x + barW / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }, dayLabel({ label: d.date }, true)));
    }
    chart.append(g);
  });
  if (limit) chart.append(svg('line', { class: 'limit', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(limit), y2: y(limit) }));
  host.append(chart);
  const items = [['power-bar', t('dailyPeak')]];
  if (limit) items.push(['limit', `${t('limit')} (${limit / 1000} kVA)`]);
  host.append(legend(items));
}

// ---- calendar -----------------------------------------------------------------------------

function reasonText(series) {
  const what = `${t(series.kind)} (${t(series.direction === 'consumption' ? 'cons' : 'prod')})`;
  let text = `${what}: ${t(series.state)}`;
  if (series.reason) text += ` — ${TEXT[state.lang].reasons[series.reason] || series.reason}`;
  return text;
}

function renderCalendar() {
  const host = document.getElementById('calendar');
  const detail = document.getElementById('calendar-detail');
  host.replaceChildren();
  detail.textContent = t('tapCell');
  const months = new Map();
  for (const day of state.calendar.days) {
    const key = day.date.slice(0, 7);
    if (!months.has(key)) months.set(key, []);
    months.get(key).push(day);
  }
  for (const [key, days] of months) {
    const grid = el('div', { class: 'days' });
    for (const w of t('weekdays')) grid.append(el('span', { class: 'weekday' }, w));
    const first = new Date(days[0].date + 'T00:00:00Z');
    for (let i = 0; i < (first.getUTCDay() + 6) % 7; i++) grid.append(el('span', { class: 'cell blank' }));
    for (const day of days) {
      const why = `${dayText(day.date)}: ${t(day.state)}\n${day.series.map(reasonText).join('\n')}`;
      const cell = el('button', { type: 'button', class: `cell ${day.state}`, title: why, 'data-date': day.date, 'data-state': day.state, 'aria-label': why });
      cell.addEventListener('click', () => { detail.textContent = why; });
      grid.append(cell);
    }
    const title = new Intl.DateTimeFormat(locale(), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(key + '-01T00:00:00Z'));
    host.append(el('div', { class: 'month' }, el('h3', {}, title), grid));
  }
  host.append(legend(['complete', 'partial', 'missing', 'not_published', 'absent'].map((s) => [s, t(s)])));
}

// ---- moving through time ------------------------------------------------------------------

// Each chart with arrows shows a window of this many days; the arrows move it by a window.
const NAV = {
  hour: { days: 7, path: 'energy?step=hour', keep: (a) => { state.series.hour = a; } },
  day: { days: 60, path: 'energy?step=day', keep: (a) => { state.series.day = a; } },
  power: { days: 60, path: 'power', keep: (a) => { state.power = a; } },
  calendar: { days: 365, path: 'calendar', keep: (a) => { state.calendar = a; } },
};

function shiftDay(iso, n) {
  const d = new Date(iso + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

async function move(kind, direction) {
  const nav = NAV[kind];
  const now = state.ranges[kind];
  let to = direction < 0 ? shiftDay(now.from, -1) : shiftDay(now.to, nav.days);
  if (to > state.latest[kind]) to = state.latest[kind];
  const from = shiftDay(to, -(nav.days - 1));
  const sep = nav.path.includes('?') ? '&' : '?';
  const answer = await api(`/api/meters/${encodeURIComponent(state.meter)}/${nav.path}${sep}from=${from}&to=${to}`);
  nav.keep(answer);
  state.ranges[kind] = { from: answer.from, to: answer.to };
  renderAll();
}

function renderNav() {
  const meter = state.status.meters.find((m) => m.pdl === mainPdl());
  for (const box of document.querySelectorAll('.nav')) {
    const kind = box.dataset.nav;
    const range = state.ranges[kind];
    if (!range) continue;
    box.querySelector('.range').textContent = `${dayText(range.from)} – ${dayText(range.to)}`;
    const prev = box.querySelector('.prev');
    const next = box.querySelector('.next');
    prev.title = t('earlier');
    next.title = t('later');
    prev.setAttribute('aria-label', t('earlier'));
    next.setAttribute('aria-label', t('later'));
    prev.disabled = Boolean(meter && meter.first_day && range.from <= meter.first_day);
    next.disabled = range.to >= state.latest[kind];
    for (const link of box.querySelectorAll('a.download')) {
      const format = link.dataset.format;
      link.textContent = `${t('download')} ${format.toUpperCase()}`;
      link.href = `/api/meters/${encodeURIComponent(state.meter)}/export?step=${kind}&from=${range.from}&to=${range.to}&format=${format}&locale=${state.lang}`;
    }
  }
}

// ---- page ---------------------------------------------------------------------------------

// A household's page is keyed `<consumption>+<production>`; its contract is the first's.
function mainPdl() { return (state.meter || '').split('+')[0]; }

function roleOf(m) {
  if (m.has_consumption && m.has_production) return t('roleCP');
  if (m.has_production) return t('roleP');
  return t('roleC');
}

function renderMeters() {
  const select = document.getElementById('meter');
  for (const option of select.options) {
    const m = state.status.meters.find((x) => x.pdl === option.value);
    const h = state.status.households.find((x) => x.key === option.value);
    if (m) option.textContent = `${roleOf(m)} · ${m.pdl}`;
    if (h) {
      option.textContent = `${t('household')} · ${h.consumption.slice(-4)} + ${h.production.slice(-4)}`;
      option.title = `${t('householdTitle')}: ${h.consumption} + ${h.production}`;
    }
  }
}

// Before the first sync (or with no meter) one message says what to do; no empty card with
// working arrows.
function emptyMessage() {
  const meters = state.status.meters;
  if (!meters.length) return t('noMeter');
  if (meters.every((m) => !m.first_day)) return t('noDataYet');
  return null;
}

function renderAll() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
  document.getElementById('meter-label').textContent = t('meter');
  document.getElementById('lang-switch').textContent = t('switchTo');
  if (!state.status) return;
  renderStatus();
  renderMeters();
  const empty = emptyMessage();
  document.body.dataset.empty = empty ? 'true' : 'false';
  const notice = document.getElementById('notice');
  notice.hidden = !empty;
  notice.textContent = empty || '';
  if (empty || !state.meter) return;
  renderTotals();
  renderCosts();
  energyChart('chart-hour', state.series.hour.rows, hourLabel, { ...state.series.hour, slot: 3600e3 });
  energyChart('chart-day', state.series.day.rows, dayLabel, { ...state.series.day, slot: 86400e3 });
  energyChart('chart-month', state.series.month, monthLabel);
  energyChart('chart-year', state.series.year, yearLabel);
  powerChart();
  renderCalendar();
  renderNav();
  document.body.dataset.ready = 'true';
}

async function loadMeter(pdl) {
  const base = `/api/meters/${encodeURIComponent(pdl)}`;
  const [hour, day, month, year, totals, power, calendar, compare] = await Promise.all([
    api(`${base}/energy?step=hour`), api(`${base}/energy?step=day`), api(`${base}/energy?step=month`),
    api(`${base}/energy?step=year`), api(`${base}/totals`), api(`${base}/power`), api(`${base}/calendar`),
    api(`${base}/compare`),
  ]);
  // Set with its data, never before: a render while the answers are on their way (the
  // language switch clicked during loading) shows the previous meter, not half of this one.
  state.meter = pdl;
  state.series = { hour, day, month: month.rows, year: year.rows };
  state.totals = totals;
  state.power = power;
  state.calendar = calendar;
  state.compare = compare;
  for (const [kind, answer] of Object.entries({ hour, day, power, calendar })) {
    state.ranges[kind] = { from: answer.from, to: answer.to };
    state.latest[kind] = answer.to;
  }
  renderAll();
}

async function start() {
  renderAll();
  document.getElementById('lang-switch').addEventListener('click', () => {
    state.lang = state.lang === 'fr' ? 'en' : 'fr';
    try { localStorage.setItem('linky.lang', state.lang); } catch (e) { /* storage may be off */ }
    renderAll();
  });
  for (const box of document.querySelectorAll('.nav')) {
    box.querySelector('.prev').addEventListener('click', () => move(box.dataset.nav, -1).catch(showError));
    box.querySelector('.next').addEventListener('click', () => move(box.dataset.nav, 1).catch(showError));
  }
  try {
    state.status = await api('/api/status');
    const select = document.getElementById('meter');
    for (const h of state.status.households) select.append(el('option', { value: h.key }, h.key));
    for (const m of state.status.meters) select.append(el('option', { value: m.pdl }, m.pdl));
    select.addEventListener('change', () => loadMeter(select.value).catch(showError));
    renderAll();
    if (emptyMessage()) {
      document.body.dataset.ready = 'true';
      return;
    }
    // The household first (consumption and production together), else a consumption meter:
    // they have the most to show.
    const meter = state.status.meters.find((m) => m.has_consumption) || state.status.meters[0];
    const first = state.status.households.length ? state.status.households[0].key : meter && meter.pdl;
    if (first) {
      select.value = first;
      await loadMeter(first);
    }

  } catch (error) {
    showError(error);
    document.body.dataset.ready = 'error';
  }
}

let resizing = null;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(renderAll, 150);
});
document.addEventListener('DOMContentLoaded', start);
