// The console's web app: three pages behind a hash router (#/journey, #/kafka, #/live), so it
// works wherever it is mounted without the server knowing its routes.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getApiKey, setApiKey } from "./api.ts";
import { JourneyPage } from "./journey.tsx";
import { KafkaPage } from "./kafka.tsx";
import { LivePage } from "./live.tsx";
import "./styles.css";

const current = () => location.hash.replace(/^#\/?/, "").split("/");

function ApiKey() {
  const [key, setKey] = useState(getApiKey());
  return (
    <form
      class="apikey"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(key.trim());
        location.reload();
      }}
    >
      <label>
        X-API-Key{" "}
        <input
          name="apiKey"
          type="password"
          value={key}
          size={22}
          autocomplete="off"
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">Use</button>
    </form>
  );
}

function App() {
  const [route, setRoute] = useState(current());
  useEffect(() => {
    const onHash = () => setRoute(current());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  const navigate = (hash: string) => {
    location.hash = hash;
  };
  const page = route[0] || "journey";
  const tab = (name: string, label: string) => (
    <a href={`#/${name}`} class={page === name ? "active" : ""}>
      {label}
    </a>
  );
  return (
    <>
      <header>
        <h1>Eventscope</h1>
        <nav>
          {tab("journey", "Event journey")}
          {tab("kafka", "Kafka")}
          {tab("live", "Live")}
        </nav>
        <ApiKey />
      </header>
      <main>
        {page === "kafka" ? (
          <KafkaPage />
        ) : page === "live" ? (
          <LivePage />
        ) : (
          <JourneyPage eventId={route[1] ? decodeURIComponent(route[1]) : undefined} navigate={navigate} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
