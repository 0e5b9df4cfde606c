import { useState } from "preact/hooks";
import { api, q } from "./api.ts";
import { bytes, ErrorBox, Json, num, useLoad, Verdict } from "./util.tsx";

export function KafkaPage() {
  const [all, setAll] = useState(false);
  return (
    <div>
      <label class="toggle">
        <input
          type="checkbox"
          checked={all}
          onChange={(e) => setAll((e.target as HTMLInputElement).checked)}
        />{" "}
        every topic and group (not only the platform's)
      </label>
      <Topics all={all} />
      <Groups all={all} />
      <Messages />
      <DeadLetters />
    </div>
  );
}

function Topics({ all }: { all: boolean }) {
  const topics = useLoad(() => api(`api/kafka/topics${q({ all: all ? "true" : undefined })}`), [all], 10_000);
  return (
    <section class="card" id="topics">
      <h2>Topics</h2>
      <ErrorBox error={topics.error} />
      {topics.data?.sizeErrors?.length ? (
        <p class="muted">sizes not known: {topics.data.sizeErrors.join("; ")}</p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>topic</th>
            <th>partition</th>
            <th>leader</th>
            <th>replicas / in sync</th>
            <th>low</th>
            <th>high watermark</th>
            <th>messages</th>
            <th>size</th>
          </tr>
        </thead>
        <tbody>
          {topics.data?.topics.map((t: any) =>
            t.partitions.map((p: any, i: number) => (
              <tr key={`${t.topic}-${p.partition}`} class={i === 0 ? "topic-first" : ""} data-topic={t.topic}>
                <td>
                  {i === 0 ? <strong>{t.topic}</strong> : ""}
                  {i === 0 && t.topic === topics.data.deadLetterTopic ? (
                    <span class="tag">dead letters</span>
                  ) : null}
                </td>
                <td>{p.partition}</td>
                <td>
                  {p.leader} {p.leaderHost ? `(${p.leaderHost})` : ""}
                </td>
                <td>
                  {p.replicas.join(",")} / {p.isr.join(",")}
                </td>
                <td>{num(p.low)}</td>
                <td>{num(p.high)}</td>
                <td>{num(p.messages)}</td>
                <td
                  class="bytes"
                  title={p.bytes === null ? "no figure in Prometheus (yet)" : `${p.bytes} bytes`}
                >
                  {bytes(p.bytes)}
                  {i === 0 && t.partitions.length > 1 && t.bytes !== null ? (
                    <span class="muted topic-bytes"> (topic {bytes(t.bytes)})</span>
                  ) : null}
                </td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </section>
  );
}

function Groups({ all }: { all: boolean }) {
  const groups = useLoad(() => api(`api/kafka/groups${q({ all: all ? "true" : undefined })}`), [all], 5000);
  return (
    <section class="card" id="groups">
      <h2>Consumer groups</h2>
      <ErrorBox error={groups.error} />
      {groups.data?.lagErrors?.length ? (
        <p class="muted">lag not reported by: {groups.data.lagErrors.join("; ")}</p>
      ) : null}
      {groups.data?.groups.map((g: any) => (
        <div class="group" key={g.groupId} data-group={g.groupId}>
          <h3>
            {g.groupId} <span class="muted">{g.state}</span> <Verdict verdict={g.verdict} />{" "}
            <span class="lag-total">lag {num(g.lag)}</span>
          </h3>
          <p class="muted">
            {g.members.length} member(s):{" "}
            {g.members
              .map(
                (m: any) =>
                  `${m.clientId}@${m.clientHost} → ${Object.entries(m.assignment)
                    .map(([t, ps]) => `${t}[${(ps as number[]).sort((a, b) => a - b).join(",")}]`)
                    .join(" ")}`,
              )
              .join("; ")}
          </p>
          <table>
            <thead>
              <tr>
                <th>topic</th>
                <th>partition</th>
                <th>committed</th>
                <th>high</th>
                <th>lag (messages)</th>
                <th>lag (seconds)</th>
                <th>verdict</th>
                <th>member</th>
              </tr>
            </thead>
            <tbody>
              {g.partitions.map((p: any) => (
                <tr key={`${p.topic}-${p.partition}`}>
                  <td>{p.topic}</td>
                  <td>{p.partition}</td>
                  <td>{num(p.committed)}</td>
                  <td>{num(p.high)}</td>
                  <td class="lag">{num(p.lag)}</td>
                  <td>{p.lagSeconds === null ? "–" : p.lagSeconds.toFixed(2)}</td>
                  <td>
                    <Verdict verdict={p.verdict} />
                  </td>
                  <td class="muted">{p.member ? p.member.slice(0, 24) : "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}

function Messages() {
  const config = useLoad(() => api("api/config"), []);
  const [form, setForm] = useState({ topic: "", partition: "0", offset: "", time: "", limit: "20" });
  const [answer, setAnswer] = useState<any>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const topic = form.topic || config.data?.topics.committed || "";
  const set = (k: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const read = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const time = form.time ? new Date(form.time).toISOString() : undefined;
      setAnswer(
        await api(
          `api/kafka/topics/${encodeURIComponent(topic)}/partitions/${encodeURIComponent(form.partition)}/messages${q({ offset: form.offset, time, limit: form.limit })}`,
        ),
      );
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="card" id="messages">
      <h2>Messages</h2>
      <form class="search" onSubmit={(e) => void read(e)}>
        <label>
          topic <input name="topic" value={topic} size={28} onInput={set("topic")} />
        </label>
        <label>
          partition <input name="partition" value={form.partition} size={4} onInput={set("partition")} />
        </label>
        <label>
          from offset{" "}
          <input name="offset" value={form.offset} size={10} placeholder="oldest" onInput={set("offset")} />
        </label>
        <label>
          or time <input name="time" type="datetime-local" step="1" value={form.time} onInput={set("time")} />
        </label>
        <label>
          at most <input name="limit" value={form.limit} size={4} onInput={set("limit")} />
        </label>
        <button type="submit">Read</button>
      </form>
      <ErrorBox error={error} />
      {answer ? (
        <div>
          <p class="muted">
            {answer.topic}[{answer.partition}]: offsets {num(answer.low)} to {num(answer.high)}, from{" "}
            {num(answer.from)}: {answer.messages.length} message(s)
          </p>
          {answer.messages.map((m: any) => (
            <MessageCard key={m.offset} m={m} />
          ))}
        </div>
      ) : null}
    </section>
  );
}

function MessageCard({ m }: { m: any }) {
  const tp = m.headers.traceparent;
  return (
    <div class="message" data-offset={m.offset}>
      <h4>
        offset {m.offset} · {m.timestamp} · key <code>{m.key ? m.key.text : "(none)"}</code>
      </h4>
      {Object.keys(m.headers.cloudEvents).length > 0 ? (
        <dl class="facts ce">
          {Object.entries(m.headers.cloudEvents).map(([k, v]) => (
            <>
              <dt>ce.{k}</dt>
              <dd>{String(v)}</dd>
            </>
          ))}
        </dl>
      ) : null}
      {tp ? (
        <p class="traceparent">
          traceparent: trace <a href={`#/journey/${m.headers.cloudEvents.id ?? ""}`}>{tp.traceId}</a> span{" "}
          {tp.spanId} {tp.sampled ? "sampled" : "not sampled"}
        </p>
      ) : null}
      <details>
        <summary>all headers</summary>
        <table>
          <tbody>
            {Object.entries(m.headers.headers).map(([k, v]: [string, any]) => (
              <tr key={k}>
                <td>{k}</td>
                <td>{v.encoding === "base64" ? `base64: ${v.text}` : v.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <div class="value">
        {m.value.kind === "json" ? (
          <Json value={m.value.json} />
        ) : (
          <pre>
            {m.value.kind}: {m.value.text ?? ""}
          </pre>
        )}
      </div>
    </div>
  );
}

function DeadLetters() {
  const letters = useLoad(() => api("api/dead-letters"), []);
  const [note, setNote] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const replay = async (service: string, id: string) => {
    try {
      await api(`api/dead-letters/${service}/${id}/replay`, { method: "POST" });
      setNote({ ok: true, text: `replayed ${service} #${id}` });
      letters.reload();
    } catch (err) {
      setNote({ ok: false, text: `replay of ${service} #${id} refused: ${(err as Error).message}` });
    }
  };
  return (
    <section class="card" id="dead-letters">
      <h2>Dead letters</h2>
      <p class="muted">
        parked on topic {letters.data?.deadLetterTopic}; replay needs a key with the admin scope
      </p>
      <ErrorBox error={letters.error} />
      {note ? (
        <div class={note.ok ? "note" : "error"} role="status">
          {note.text}
        </div>
      ) : null}
      {letters.data?.services.map((s: any) => (
        <div key={s.service}>
          <h3>{s.service}</h3>
          {!s.ok ? (
            <div class="error">
              {s.status}: {s.detail}
            </div>
          ) : null}
          {s.ok && s.deadLetters.length === 0 ? <p class="muted">nothing parked</p> : null}
          {s.ok && s.deadLetters.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th>id</th>
                  <th>from</th>
                  <th>reason</th>
                  <th>parked</th>
                  <th>value</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {s.deadLetters.map((d: any) => (
                  <tr key={d.id} class="dead-letter" data-id={d.id} data-service={s.service}>
                    <td>{d.id}</td>
                    <td>
                      {d.topic}[{d.partition}]@{d.offset}
                    </td>
                    <td class="reason">{d.reason}</td>
                    <td>{d.parkedAt}</td>
                    <td>
                      <code>{String(d.value ?? "").slice(0, 80)}</code>
                    </td>
                    <td>
                      <button class="replay" onClick={() => void replay(s.service, d.id)}>
                        Replay
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ))}
    </section>
  );
}
