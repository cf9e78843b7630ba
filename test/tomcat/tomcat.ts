// A private Apache Tomcat 10 (Debian's tomcat10 package) for integration tests.
//
// CATALINA_HOME is the installed Tomcat (/usr/share/tomcat10); CATALINA_BASE is a fresh temp
// directory with our own conf/ (server.xml with one HTTP connector on 127.0.0.1 and a free
// port, no shutdown port; users in conf/tomcat-users.xml), logs/, work/, temp/ and the test
// webapp (./webapp) deployed at /app. The system tomcat10 service is never touched.
//
// The webapp: /app/api/* needs BASIC auth (role `sessionflow`), the login is kept in the
// HTTP session (BasicAuthenticator alwaysUseSession), /app/api/csrf/* is guarded by Tomcat's
// RestCsrfPreventionFilter, /app/ops/drop.jsp?session=HASH invalidates a session out of band.
// Every request is written to logs/access.log WITHOUT credentials, tokens or session ids;
// accessLog() parses it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, probe, waitForHttp } from '../support/net.js';

export const CATALINA_HOME = process.env.SESSIONFLOW_CATALINA_HOME ?? '/usr/share/tomcat10';
const CATALINA_SH = join(CATALINA_HOME, 'bin', 'catalina.sh');
/** Where Debian keeps pristine copies of the conf files (/etc/tomcat10 is not world-readable). */
const CONF_SOURCES = [join(CATALINA_HOME, 'etc'), '/etc/tomcat10'];
const WEBAPP_SOURCE = fileURLToPath(new URL('./webapp', import.meta.url));

/** Test users (password = test fixture, not a secret of anything real). Role: sessionflow. */
export const TOMCAT_USERS = {
  alice: { user: 'alice', password: 'alice-Secr3t!' },
  bob: { user: 'bob', password: 'bob-Secr3t!' },
} as const;

/** Context path of the test webapp. */
export const CONTEXT_PATH = '/app';

export interface AccessLogEntry {
  method: string;
  /** Path without query, e.g. /app/api/echo.jsp. */
  path: string;
  /** Query string without '?', '' when none. */
  query: string;
  /** Value of the `t` query parameter (test tag), if any. */
  tag: string | undefined;
  status: number;
  /** The request carried an Authorization header (marker set by the RewriteValve). */
  authorization: boolean;
  /** The request carried `X-CSRF-Token: Fetch`. */
  csrfFetch: boolean;
  /** Authenticated user (from the header or the session), undefined when none. */
  user: string | undefined;
  /** The raw line, as Tomcat wrote it. */
  line: string;
}

export interface AccessLogFilter {
  /** Only entries whose `t` query parameter equals this. */
  tag?: string;
  /** Only entries whose `t` query parameter starts with this. */
  tagPrefix?: string;
  path?: string;
  method?: string;
}

export interface AccessLogReadOptions {
  /**
   * Wait (bounded) until at least this many entries match. Tomcat writes an access log line
   * only after the response is complete, so the client can see a response before its line.
   */
  atLeast?: number;
  /** Bound for the wait (default 10 s). */
  timeoutMs?: number;
}

export interface TomcatInstance {
  /** Webapp URL without trailing slash, e.g. http://127.0.0.1:41234/app */
  url: string;
  /** Server URL without trailing slash, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  port: number;
  /** Private CATALINA_BASE (removed by stop()). */
  catalinaBase: string;
  /** Milliseconds from spawning catalina.sh until the webapp answered. */
  startupMs: number;
  /**
   * Parsed logs/access.log (optionally filtered), read after sync(). With `atLeast`, waits
   * (bounded) for that many matching entries; returns what is there when the wait runs out.
   */
  accessLog(filter?: AccessLogFilter, options?: AccessLogReadOptions): Promise<AccessLogEntry[]>;
  /** Requests that carried an Authorization header (optionally filtered), read after sync(). */
  countAuthorized(filter?: AccessLogFilter, options?: AccessLogReadOptions): Promise<number>;
  /**
   * Barrier: sends one unauthenticated request (tag `sf-sync-N`) and waits until its log line
   * is written, so lines of requests that completed before are (practically) in the file.
   */
  sync(): Promise<void>;
  /** Raw access log text (for "never logs secrets" checks). */
  accessLogText(): Promise<string>;
  /** Last lines of catalina.out (stdout+stderr of the JVM). */
  outputTail(lines?: number): string;
  stop(): Promise<void>;
}

export interface StartTomcatOptions {
  /** Bounded wait for the webapp to answer (default 90 s: the machine may be busy). */
  startTimeoutMs?: number;
  /** Extra JVM options appended to the defaults. */
  javaOpts?: string[];
}

/** Why Tomcat cannot run here, or undefined when it can. */
export function tomcatUnavailableReason(): string | undefined {
  if (!existsSync(CATALINA_SH)) {
    return `Tomcat 10 is not installed (${CATALINA_SH} missing): run \`bash test/scripts/setup.sh\` (installs Debian's tomcat10 as root)`;
  }
  if (!CONF_SOURCES.some((d) => existsSync(join(d, 'web.xml')))) {
    return `Tomcat 10 looks incomplete: no web.xml in ${CONF_SOURCES.join(' or ')}; re-run \`bash test/scripts/setup.sh\``;
  }
  return undefined;
}

const ENTRY_RE = /^sf (\S+) (\S+) (\d{3}) auth=(\S+) csrfFetch=(\S+) user=(\S+)$/;

export function parseAccessLog(text: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of text.split('\n')) {
    const m = ENTRY_RE.exec(line.trim());
    if (!m) continue;
    const [, method, uri, status, auth, csrf, user] = m as unknown as [string, string, string, string, string, string, string];
    const q = uri.indexOf('?');
    const path = q < 0 ? uri : uri.slice(0, q);
    const query = q < 0 ? '' : uri.slice(q + 1);
    const tag = new URLSearchParams(query).get('t') ?? undefined;
    entries.push({
      method,
      path,
      query,
      tag,
      status: Number(status),
      authorization: auth === '1',
      csrfFetch: csrf === '1',
      user: user === '-' ? undefined : user,
      line,
    });
  }
  return entries;
}

function matches(e: AccessLogEntry, f: AccessLogFilter | undefined): boolean {
  if (!f) return true;
  if (f.tag !== undefined && e.tag !== f.tag) return false;
  if (f.tagPrefix !== undefined && !(e.tag ?? '').startsWith(f.tagPrefix)) return false;
  if (f.path !== undefined && e.path !== f.path) return false;
  if (f.method !== undefined && e.method !== f.method.toUpperCase()) return false;
  return true;
}

function xmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function serverXml(port: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by test/tomcat/tomcat.ts: private test instance, loopback only, no shutdown port. -->
<Server port="-1" shutdown="SHUTDOWN">
  <GlobalNamingResources>
    <Resource name="UserDatabase" auth="Container" type="org.apache.catalina.UserDatabase"
              description="Test users" factory="org.apache.catalina.users.MemoryUserDatabaseFactory"
              pathname="conf/tomcat-users.xml" readonly="true" />
  </GlobalNamingResources>
  <Service name="Catalina">
    <Connector address="127.0.0.1" port="${port}" protocol="HTTP/1.1"
               connectionTimeout="20000" maxParameterCount="1000" bindOnInit="true" />
    <Engine name="Catalina" defaultHost="localhost">
      <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase" />
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false" deployOnStartup="true" />
    </Engine>
  </Service>
</Server>
`;
}

function tomcatUsersXml(): string {
  const users = Object.values(TOMCAT_USERS)
    .map((u) => `  <user username="${xmlAttr(u.user)}" password="${xmlAttr(u.password)}" roles="sessionflow" />`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
  <role rolename="sessionflow" />
${users}
</tomcat-users>
`;
}

/** Global conf/context.xml: no jar scanning (faster start), no session persistence across restarts. */
const CONTEXT_XML = `<?xml version="1.0" encoding="UTF-8"?>
<Context>
  <WatchedResource>WEB-INF/web.xml</WatchedResource>
  <JarScanner scanClassPath="false" scanManifest="false" />
  <Manager pathname="" />
</Context>
`;

const LOGGING_PROPERTIES = `handlers = java.util.logging.ConsoleHandler
.handlers = java.util.logging.ConsoleHandler
.level = INFO
java.util.logging.ConsoleHandler.level = INFO
java.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter
java.util.logging.ConsoleHandler.encoding = UTF-8
`;

async function copyConf(confDir: string): Promise<void> {
  const source = CONF_SOURCES.find((d) => existsSync(join(d, 'web.xml')));
  if (!source) throw new Error(`no Tomcat conf directory with web.xml in ${CONF_SOURCES.join(', ')}`);
  // Default servlet + JSP servlet + MIME types come from Tomcat's own web.xml.
  await cp(join(source, 'web.xml'), join(confDir, 'web.xml'));
  let props = existsSync(join(source, 'catalina.properties'))
    ? await readFile(join(source, 'catalina.properties'), 'utf8')
    : 'common.loader="${catalina.base}/lib","${catalina.base}/lib/*.jar","${catalina.home}/lib","${catalina.home}/lib/*.jar"\n';
  // Later keys win in java.util.Properties: skip TLD/fragment scanning of every jar (faster start).
  props += '\n# sessionflow test instance\ntomcat.util.scan.StandardJarScanFilter.jarsToSkip=*.jar\n';
  await writeFile(join(confDir, 'catalina.properties'), props);
  if (existsSync(join(source, 'jaspic-providers.xml'))) {
    await cp(join(source, 'jaspic-providers.xml'), join(confDir, 'jaspic-providers.xml'));
  }
  // Console-only logging (our catalina.out): the packaged logging.properties writes dated
  // files and uses the systemd formatter.
  await writeFile(join(confDir, 'logging.properties'), LOGGING_PROPERTIES);
  await writeFile(join(confDir, 'context.xml'), CONTEXT_XML);
}

function tailOf(file: string, lines: number): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return '(no catalina.out)';
  }
}

const WRAPPER = `
exec 3<&0
"$1" run </dev/null &
tomcat=$!
( read -r _ <&3 || true; kill -TERM "$tomcat" 2>/dev/null ) &
watchdog=$!
exec 3<&- 0</dev/null
trap 'kill -TERM "$tomcat" 2>/dev/null' TERM INT HUP
rc=0
while kill -0 "$tomcat" 2>/dev/null; do wait "$tomcat"; rc=$?; done
kill "$watchdog" 2>/dev/null
exit "$rc"
`;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // group already gone
  }
}

async function startOnce(options: StartTomcatOptions): Promise<TomcatInstance> {
  const base = await mkdtemp(join(tmpdir(), 'sessionflow-tomcat-'));
  const conf = join(base, 'conf');
  const logs = join(base, 'logs');
  const outFile = join(logs, 'catalina.out');
  const accessFile = join(logs, 'access.log');
  let child: ChildProcess | undefined;
  let exited: string | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child!, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    await rm(base, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    for (const d of ['conf', 'logs', 'webapps', 'work', 'temp', 'lib']) await mkdir(join(base, d));
    await copyConf(conf);
    const port = await freePort('127.0.0.1');
    await writeFile(join(conf, 'server.xml'), serverXml(port));
    await writeFile(join(conf, 'tomcat-users.xml'), tomcatUsersXml(), { mode: 0o600 });
    await cp(WEBAPP_SOURCE, join(base, 'webapps', CONTEXT_PATH.slice(1)), { recursive: true });

    const out = openSync(outFile, 'a');
    const javaOpts = [
      '-Djava.awt.headless=true',
      '-Xms32m',
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Xshare:auto',
      '-Djava.security.egd=file:/dev/./urandom',
      ...(options.javaOpts ?? []),
    ];
    const started = Date.now();
    try {
      // bash wrapper = process-group leader: runs `catalina.sh run` and a watchdog that stops
      // Tomcat when our stdin pipe closes, i.e. when this Node process dies without stop().
      child = spawn('bash', ['-c', WRAPPER, 'sessionflow-tomcat', CATALINA_SH], {
        cwd: base,
        detached: true,
        stdio: ['pipe', out, out],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? base,
          LANG: 'C.UTF-8',
          ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
          CATALINA_HOME,
          CATALINA_BASE: base,
          CATALINA_TMPDIR: join(base, 'temp'),
          CATALINA_PID: join(base, 'temp', 'catalina.pid'),
          JAVA_OPTS: javaOpts.join(' '),
          CATALINA_OPTS: '',
        },
      });
    } finally {
      closeSync(out);
    }
    const leader = child;
    const killOnExit = (): void => {
      killGroup(leader, 'SIGKILL');
      rmSync(base, { recursive: true, force: true });
    };
    process.once('exit', killOnExit);
    child.stdin?.on('error', () => undefined);
    (child.stdin as { unref?: () => void } | null)?.unref?.();
    child.once('exit', (code, signal) => {
      exited = `catalina.sh exited (${signal ?? `code ${code}`})`;
      process.off('exit', killOnExit);
    });
    child.once('error', (err) => {
      exited = `could not start ${CATALINA_SH}: ${err.message}`;
    });

    const baseUrl = `http://127.0.0.1:${port}`;
    const url = `${baseUrl}${CONTEXT_PATH}`;
    try {
      await waitForHttp(`${url}/health.jsp?t=startup-probe`, {
        timeoutMs: options.startTimeoutMs ?? 90_000,
        intervalMs: 250,
        ready: (r) => r.status === 200 && r.body.trim() === 'ok',
        abort: () => exited,
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const tail = tailOf(outFile, 40);
      await stop();
      const e = new Error(`private Tomcat did not start: ${reason}\n--- last lines of catalina.out ---\n${tail}`);
      (e as Error & { addressInUse?: boolean }).addressInUse = /Address already in use|BindException/.test(tail);
      throw e;
    }
    const startupMs = Date.now() - started;

    const accessLogText = async (): Promise<string> => {
      try {
        return await readFile(accessFile, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw err;
      }
    };
    let syncs = 0;
    const sync = async (): Promise<void> => {
      const tag = `sf-sync-${++syncs}`;
      const r = await probe(`${url}/health.jsp?t=${tag}`, 10_000);
      if (r.status !== 200) throw new Error(`Tomcat sync request answered ${r.status}`);
      const deadline = Date.now() + 10_000;
      while (!parseAccessLog(await accessLogText()).some((e) => e.tag === tag)) {
        if (Date.now() > deadline) throw new Error(`the access log line of ${tag} did not appear within 10 s`);
        await delay(20);
      }
    };
    const accessLog = async (filter?: AccessLogFilter, read: AccessLogReadOptions = {}): Promise<AccessLogEntry[]> => {
      await sync();
      const deadline = Date.now() + (read.timeoutMs ?? 10_000);
      while (true) {
        const entries = parseAccessLog(await accessLogText()).filter((e) => matches(e, filter));
        if (read.atLeast === undefined || entries.length >= read.atLeast || Date.now() > deadline) return entries;
        await delay(25);
      }
    };

    return {
      url,
      baseUrl,
      port,
      catalinaBase: base,
      startupMs,
      accessLog,
      accessLogText,
      countAuthorized: async (filter, read) => (await accessLog(filter, read)).filter((e) => e.authorization).length,
      sync,
      outputTail: (lines = 40) => tailOf(outFile, lines),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts a private Tomcat and resolves once the webapp answers. Retries once on a port race
 * ("address in use"). Always call stop() (kills the process group, removes CATALINA_BASE).
 */
export async function startTomcat(options: StartTomcatOptions = {}): Promise<TomcatInstance> {
  const reason = tomcatUnavailableReason();
  if (reason) throw new Error(reason);
  try {
    return await startOnce(options);
  } catch (err) {
    if ((err as { addressInUse?: boolean }).addressInUse) return startOnce(options);
    throw err;
  }
}
