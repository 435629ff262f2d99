import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import * as api from './api'
import { connect, disconnect, liveWithin } from './events'
import { desktop } from './desktop'
import { href, navigate, parse, useRoute, type Route } from './router'
import { applyTheme, initialTheme, type Theme } from './theme'
import { enterView, ErrorBox, lazy, NotFound, onViewReady, SessionContext, Spinner, whenReady } from './ui'
import { Login } from './views/Login'
import { DagList } from './views/DagList'
import { DagPage } from './views/DagPage'
import { TaskInstancePage } from './views/TaskInstance'
import { AuditLog, Cluster, Pools, Users, Variables } from './views/Admin'
import { Connections } from './views/Connections'
import { Datasets } from './views/Datasets'
import { BrowseTaskInstances, BrowseXComs } from './views/Browse'
import './style.css'

// The editor brings CodeMirror, dagre and yaml: fetched when it is first opened.
const AuthorPage = lazy(() => import('./views/Author').then((m) => m.AuthorPage))

function loginHash(): string {
  const r = parse(location.hash)
  if (r.parts[0] === 'login') return location.hash
  return href(['login'], { next: r.hash === '#/' ? undefined : r.hash })
}

/**
 * In the desktop window, tells the host once the first view has its data and whether live
 * events arrive: the proof, for the desktop smoke test, that the window really rendered; then
 * each view opened after it (New DAG from the File menu, say).
 */
function reportWindowReady() {
  Promise.all([whenReady(), liveWithin(15_000)])
    .then(([, live]) => {
      const report = () => desktop.reportReady(location.hash || '#/', live).catch((e) => console.error('wasmflow: report a view', e))
      report()
      onViewReady(report)
    })
    .catch((e) => console.error('wasmflow: report the window ready', e))
}

function App() {
  const route = useRoute()
  // undefined while the first /auth/me is under way, null when signed out
  const [session, setSession] = useState<api.Session | null | undefined>(undefined)
  const [theme, setTheme] = useState<Theme>(initialTheme)
  const [bootError, setBootError] = useState('')

  useEffect(() => applyTheme(theme, false), [])

  useEffect(() => {
    const signedOut = () => {
      disconnect()
      setSession(null)
      if (parse(location.hash).parts[0] !== 'login') navigate(loginHash(), true)
    }
    api.setUnauthorizedHandler(signedOut)
    const start = () =>
      api
        .me()
        .then((s) => {
          setBootError('')
          signedIn(s)
        })
        .catch((e) => {
          if (e instanceof api.ApiError && e.status === 401) return signedOut()
          // The server is not there (yet): say so, and try again.
          setBootError(`Cannot reach the wasmflow server: ${api.errorText(e)}. Trying again…`)
          setTimeout(start, 3000)
        })
    start()
  }, [])

  function signedIn(s: api.Session) {
    api.setCsrf(s.csrf_token)
    setSession(s)
    // The stream closed for good: still signed in (a server restart) → reopen; if not, /auth/me
    // answers 401 and the app goes to the login page.
    const reopen = () =>
      api
        .me()
        .then((s2) => {
          api.setCsrf(s2.csrf_token)
          connect(reopen)
        })
        .catch((e) => {
          if (e instanceof api.ApiError && e.status === 401) {
            disconnect()
            setSession(null)
            navigate(loginHash(), true)
          } else setTimeout(reopen, 5000)
        })
    connect(reopen)
    if (s.desktop) reportWindowReady()
  }

  if (session === undefined) {
    return (
      <div class="boot" data-testid="boot">
        {bootError ? <ErrorBox error={bootError} testid="boot-error" /> : <Spinner />}
      </div>
    )
  }

  if (session === null || route.parts[0] === 'login') {
    return (
      <Login
        onLogin={(s) => {
          signedIn(s)
          // Back where the reader was: the login page's ?next=, or the page shown in its place.
          const next = route.parts[0] === 'login' ? route.query.get('next') : route.hash
          navigate(next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/dags', true)
        }}
      />
    )
  }

  const toggleTheme = () => {
    const t = theme === 'dark' ? 'light' : 'dark'
    setTheme(t)
    applyTheme(t, true)
  }

  return (
    <SessionContext.Provider value={session}>
      <Nav route={route} session={session} theme={theme} onTheme={toggleTheme} />
      <main>
        <View route={route} role={session.role} />
      </main>
    </SessionContext.Provider>
  )
}

function Nav(props: { route: Route; session: api.Session; theme: Theme; onTheme: () => void }) {
  const at = props.route.parts[0] ?? 'dags'
  const role = props.session.role
  const link = (to: string, label: string, testid: string) => (
    <a href={`#/${to}`} class={at === to ? 'active' : ''} data-testid={testid}>
      {label}
    </a>
  )
  return (
    <nav class="top" data-testid="nav">
      <a href="#/dags" class="brand">
        <span class="logo">◆</span> wasmflow
      </a>
      {link('dags', 'DAGs', 'nav-dags')}
      {link('datasets', 'Datasets', 'nav-datasets')}
      <details class="nav-menu" data-testid="nav-browse">
        <summary class={at === 'browse' ? 'active' : ''}>Browse</summary>
        <div class="menu" onClick={(e) => (e.currentTarget.parentElement as HTMLDetailsElement).removeAttribute('open')}>
          <a href="#/browse/taskInstances" data-testid="nav-browse-tis">
            Task instances
          </a>
          <a href="#/browse/xcoms" data-testid="nav-browse-xcoms">
            XComs
          </a>
        </div>
      </details>
      {link('cluster', 'Cluster', 'nav-cluster')}
      {link('pools', 'Pools', 'nav-pools')}
      {api.atLeast(role, 'Op') && link('variables', 'Variables', 'nav-variables')}
      {link('connections', 'Connections', 'nav-connections')}
      {api.atLeast(role, 'Admin') && link('users', 'Users', 'nav-users')}
      {api.atLeast(role, 'Admin') && link('audit', 'Audit log', 'nav-audit')}
      <span class="spacer" />
      <button
        class="icon"
        onClick={props.onTheme}
        data-testid="theme-toggle"
        title={`switch to the ${props.theme === 'dark' ? 'light' : 'dark'} theme`}
      >
        {props.theme === 'dark' ? '☀' : '☾'}
      </button>
      <span class="who" data-testid="current-user" data-role={role}>
        {props.session.username} <small>{role}</small>
      </span>
      {/* The desktop window's user is the local Admin, with no login to leave. */}
      {!props.session.desktop && (
        <button
          class="link"
          data-testid="logout"
          onClick={async () => {
            try {
              await api.logout()
            } finally {
              location.hash = '#/login'
              location.reload()
            }
          }}
        >
          Log out
        </button>
      )}
    </nav>
  )
}

function View({ route, role }: { route: Route; role: api.Role }) {
  const [p0, p1, p2, p3, p4, p5] = route.parts
  const view = viewName(route)
  enterView(view, route.parts.join('/'))
  switch (p0) {
    case undefined:
    case 'dags':
      if (p1 === undefined) return <DagList key="dags" />
      if (p2 === 'runs' && p3 !== undefined && p4 === 'tasks' && p5 !== undefined)
        return <TaskInstancePage key={`${p1}/${p3}/${p5}`} dagId={p1} runId={p3} taskId={p5} route={route} />
      return <DagPage key={p1} dagId={p1} tab={p2 ?? 'grid'} route={route} />
    case 'datasets':
      return <Datasets route={route} />
    case 'browse':
      if (p1 === 'taskInstances') return <BrowseTaskInstances key="bti" route={route} />
      if (p1 === 'xcoms') return <BrowseXComs key="bx" route={route} />
      return <NotFound />
    case 'cluster':
      return <Cluster />
    case 'pools':
      return <Pools />
    case 'variables':
      return api.atLeast(role, 'Op') ? <Variables /> : <Forbidden />
    case 'connections':
      return <Connections />
    case 'users':
      return api.atLeast(role, 'Admin') ? <Users /> : <Forbidden />
    case 'audit':
      return api.atLeast(role, 'Admin') ? <AuditLog /> : <Forbidden />
    case 'author':
      return api.atLeast(role, 'Op') ? <AuthorPage key="author" route={route} /> : <Forbidden />
    default:
      return <NotFound />
  }
}

function viewName(r: Route): string {
  const [p0, p1, p2, , p4] = r.parts
  if (p0 === undefined || (p0 === 'dags' && p1 === undefined)) return 'dags'
  if (p0 === 'dags') return p2 === 'runs' && p4 === 'tasks' ? 'task-instance' : `dag-${p2 ?? 'grid'}`
  if (p0 === 'browse' && p1 === 'taskInstances') return 'browse-task-instances'
  if (p0 === 'browse' && p1 === 'xcoms') return 'browse-xcoms'
  return p0
}

function Forbidden() {
  useEffect(() => {
    document.body.dataset.viewReady = '1'
  }, [])
  return (
    <div class="page">
      <h1>Not allowed</h1>
      <p>Your role cannot see this page. An Admin can change your role.</p>
    </div>
  )
}

render(<App />, document.getElementById('app')!)
