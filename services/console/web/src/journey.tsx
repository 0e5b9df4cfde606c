import { useState } from "preact/hooks";
import { api, q } from "./api.ts";
import { ErrorBox, Json, ms, useLoad } from "./util.tsx";

type By = "eventId" | "aggregate" | "userId" | "correlationId";

export function JourneyPage({
  eventId,
  navigate,
}: {
  eventId: string | undefined;
  navigate: (hash: string) => void;
}) {
  return (
    <div>
      <SearchForm navigate={navigate} />
      {eventId ? <EventJourney eventId={eventId} /> : null}
    </div>
  );
}

function SearchForm({ navigate }: { navigate: (hash: string) => void }) {
  const [by, setBy] = useState<By>("eventId");
  const [value, setValue] = useState("");
  const [aggType, setAggType] = useState("Order");
  const [results, setResults] = useState<any[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const params =
      by === "aggregate" ? { aggregateType: aggType, aggregateId: value } : { [by]: value.trim() };
    try {
      const answer = await api(`api/search${q(params)}`);
      if (by === "eventId" && answer.results.length === 1) {
        setResults(undefined);
        navigate(`#/journey/${answer.results[0].eventId}`);
      } else setResults(answer.results);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="card">
      <h2>Find an event</h2>
      <form class="search" onSubmit={(e) => void submit(e)}>
        <select name="by" value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value as By)}>
          <option value="eventId">event id</option>
          <option value="aggregate">aggregate</option>
          <option value="correlationId">correlation id</option>
          <option value="userId">user id</option>
        </select>
        {by === "aggregate" ? (
          <input
            name="aggregateType"
            value={aggType}
            size={10}
            onInput={(e) => setAggType((e.target as HTMLInputElement).value)}
          />
        ) : null}
        <input
          name="value"
          value={value}
          size={44}
          placeholder={by === "eventId" ? "e.g. 2d73dbe5-ce7c-43d9-8fc9-eae219263ea8" : by}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Search</button>
      </form>
      <ErrorBox error={error} />
      {results ? (
        <table class="results">
          <thead>
            <tr>
              <th>event</th>
              <th>type</th>
              <th>aggregate</th>
              <th>version</th>
              <th>time</th>
            </tr>
          </thead>
          <tbody>
            {results.length === 0 ? (
              <tr>
                <td colSpan={5}>nothing found</td>
              </tr>
            ) : null}
            {results.map((r) => (
              <tr key={r.eventId}>
                <td>
                  <a href={`#/journey/${r.eventId}`}>{r.eventId}</a>
                </td>
                <td>{r.eventType}</td>
                <td>
                  {r.aggregateType}/{r.aggregateId}
                </td>
                <td>{r.version ?? "–"}</td>
                <td>{r.timestamp}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

const HopError = ({ hop }: { hop: any }) =>
  hop && !hop.ok ? (
    <div class="error">
      {hop.error.status}: {hop.error.detail}
    </div>
  ) : null;

function EventJourney({ eventId }: { eventId: string }) {
  const journey = useLoad(() => api(`api/events/${encodeURIComponent(eventId)}/journey`), [eventId]);
  const j = journey.data;
  return (
    <div class="journey">
      <div class="toolbar">
        <h2>Journey of {eventId}</h2>
        <button onClick={journey.reload}>{journey.loading ? "loading…" : "Refresh"}</button>
      </div>
      <ErrorBox error={journey.error} />
      {j ? (
        <>
          <Status status={j.status} />
          <section class="card" id="stream">
            <h3>Stream</h3>
            <HopError hop={j.stream} />
            {j.stream?.ok ? (
              <StreamTable stream={j.stream.value} eventId={eventId} />
            ) : j.stream ? null : (
              <p>not stored (yet)</p>
            )}
          </section>
          <section class="card" id="read-models">
            <h3>Read models</h3>
            <HopError hop={j.readModels} />
            {j.readModels?.ok
              ? j.readModels.value.map((m: any) => (
                  <div class="model" key={m.model}>
                    <h4>
                      {m.model} / {m.id}{" "}
                      {m.applied === true ? (
                        <span class="ok">applied</span>
                      ) : m.applied === false ? (
                        <span class="bad">not applied</span>
                      ) : null}
                    </h4>
                    <Json value={m.document} />
                  </div>
                ))
              : null}
            {j.readModels?.ok && j.readModels.value.length === 0 ? (
              <p>no read model for this aggregate type</p>
            ) : null}
          </section>
          <section class="card" id="deliveries">
            <h3>Deliveries</h3>
            <HopError hop={j.deliveries} />
            {j.deliveries.ok ? <Deliveries list={j.deliveries.value} /> : null}
          </section>
          <section class="card" id="process-steps">
            <h3>Process steps</h3>
            <HopError hop={j.processSteps} />
            {j.processSteps?.ok ? <ProcessSteps steps={j.processSteps.value} /> : null}
          </section>
          <section class="card" id="trace">
            <h3>Trace</h3>
            <HopError hop={j.trace} />
            {j.trace.ok ? <TraceView trace={j.trace.value} /> : null}
          </section>
        </>
      ) : null}
    </div>
  );
}

function Status({ status }: { status: any }) {
  const e = status.event;
  return (
    <section class="card" id="status">
      <h3>
        Status: <span class={`status s-${status.status}`}>{status.status}</span>
      </h3>
      {status.status === "committed" ? (
        <dl class="facts">
          <dt>type</dt>
          <dd>{e.eventType}</dd>
          <dt>aggregate</dt>
          <dd>
            {e.aggregateType}/{e.aggregateId}
          </dd>
          <dt>version</dt>
          <dd class="version">{e.version}</dd>
          <dt>position</dt>
          <dd class="position">{e.position}</dd>
          <dt>accepted</dt>
          <dd>{e.metadata?.acceptedAt ?? e.timestamp}</dd>
          <dt>stored</dt>
          <dd>{e.storedAt}</dd>
          <dt>correlation</dt>
          <dd>{e.metadata?.correlationId}</dd>
        </dl>
      ) : null}
      {status.status === "rejected" ? (
        <dl class="facts">
          <dt>code</dt>
          <dd>{status.code}</dd>
          <dt>reason</dt>
          <dd class="reason">{status.reason}</dd>
          <dt>rejected</dt>
          <dd>{status.rejectedAt}</dd>
        </dl>
      ) : null}
      {status.status === "pending" ? <p>not decided yet by the event store</p> : null}
      {e ? (
        <details>
          <summary>data</summary>
          <Json value={e.data} />
        </details>
      ) : null}
    </section>
  );
}

const StreamTable = ({ stream, eventId }: { stream: any; eventId: string }) => (
  <table>
    <thead>
      <tr>
        <th>version</th>
        <th>type</th>
        <th>event</th>
        <th>stored</th>
      </tr>
    </thead>
    <tbody>
      {stream.events.map((e: any) => (
        <tr key={e.eventId} class={e.eventId === eventId ? "current" : ""}>
          <td>{e.version}</td>
          <td>{e.eventType}</td>
          <td>
            <a href={`#/journey/${e.eventId}`}>{e.eventId}</a>
          </td>
          <td>{e.storedAt}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

const Deliveries = ({ list }: { list: any[] }) =>
  list.length === 0 ? (
    <p>no notification for this event</p>
  ) : (
    <table>
      <thead>
        <tr>
          <th>channel</th>
          <th>rule</th>
          <th>target</th>
          <th>attempts</th>
          <th>outcome</th>
          <th>last error</th>
        </tr>
      </thead>
      <tbody>
        {list.map((d) => (
          <tr key={d.id} class="delivery">
            <td>{d.channel}</td>
            <td>{d.rule}</td>
            <td>{d.target}</td>
            <td>{d.attempts}</td>
            <td class={d.status === "dead" ? "bad" : d.status === "delivered" ? "ok" : ""}>{d.status}</td>
            <td>{d.lastError ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );

const stepClass = (status: string) =>
  status === "committed" ? "ok" : status === "rejected" || status === "refused" ? "bad" : "";

function ProcessSteps({ steps }: { steps: { started: any[]; sentBy: any } }) {
  const by = steps.sentBy;
  return (
    <div>
      {by ? (
        <p class="sent-by">
          sent by process <code>{by.processId}</code> as its step <code>{by.step}</code>
          {by.causedBy ? (
            <>
              , caused by <a href={`#/journey/${by.causedBy}`}>{by.causedBy}</a>
            </>
          ) : (
            " (on a timer)"
          )}
        </p>
      ) : null}
      {steps.started.length === 0 ? (
        <p>no process step started by this event</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>process</th>
              <th>step</th>
              <th>status</th>
              <th>attempts</th>
              <th>event produced</th>
              <th>type</th>
              <th>aggregate</th>
              <th>last error</th>
            </tr>
          </thead>
          <tbody>
            {steps.started.map((s) => (
              <tr key={s.eventId} class="process-step" data-step={s.step}>
                <td>
                  {s.processId} <span class="muted">{s.processStatus}</span>
                </td>
                <td>{s.step}</td>
                <td class={`step-status ${stepClass(s.status)}`}>{s.status}</td>
                <td>{s.attempts}</td>
                <td class="produced">
                  <a href={`#/journey/${s.eventId}`}>{s.eventId}</a>
                </td>
                <td>{s.eventType}</td>
                <td>
                  {s.aggregateType}/{s.aggregateId}
                </td>
                <td>{s.lastError ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function TraceView({ trace }: { trace: any }) {
  const w = trace.waterfall;
  return (
    <div>
      <p>
        trace <code>{trace.traceId}</code> ·{" "}
        <a class="jaeger" href={trace.jaegerUrl} target="_blank" rel="noreferrer">
          open in Jaeger
        </a>
      </p>
      {!w ? (
        <p>Jaeger has no spans of this trace (yet): refresh in a few seconds.</p>
      ) : (
        <>
          <p class="trace-summary">
            {w.spanCount} spans · {w.services.join(" → ")} · {ms(w.durationMs)}
            {w.errorCount > 0 ? <span class="bad"> · {w.errorCount} with errors</span> : null}
          </p>
          <div class="waterfall">
            {w.rows.map((r: any) => {
              const total = Math.max(w.durationMs, 0.001);
              const left = (r.startMs / total) * 100;
              const width = Math.max((r.durationMs / total) * 100, 0.4);
              return (
                <div
                  class={`span-row${r.error ? " error-row" : ""}`}
                  key={r.spanId}
                  title={JSON.stringify(r.attributes, null, 1)}
                >
                  <div class="span-label" style={{ paddingLeft: `${r.depth * 14}px` }}>
                    <span class="service">{r.service}</span> <span class="op">{r.operation}</span>
                  </div>
                  <div class="span-track">
                    <div
                      class={`span-bar svc-${r.service.replace(/[^a-z0-9-]/gi, "")}`}
                      style={{
                        left: `${Math.min(left, 99.6)}%`,
                        width: `${Math.min(width, 100 - Math.min(left, 99.6))}%`,
                      }}
                    />
                  </div>
                  <div class="span-time">{ms(r.durationMs)}</div>
                  {r.error ? <div class="span-error">{r.errorMessage ?? "error"}</div> : null}
                </div>
              );
            })}
          </div>
        </>
      )}
    </div>
  );
}
