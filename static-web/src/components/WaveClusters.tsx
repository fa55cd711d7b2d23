import type { ClusterReleaseState } from "../api";
import { StatusBadge } from "./common";

/** Groups a release's clusters by wave, in wave order. */
export function groupByWave(clusters: ClusterReleaseState[]): { wave: string; index: number; clusters: ClusterReleaseState[] }[] {
  const waves = new Map<number, { wave: string; index: number; clusters: ClusterReleaseState[] }>();
  for (const c of clusters) {
    const w = waves.get(c.waveIndex) ?? { wave: c.wave, index: c.waveIndex, clusters: [] };
    w.clusters.push(c);
    waves.set(c.waveIndex, w);
  }
  return [...waves.values()].sort((a, b) => a.index - b.index);
}

/** How traffic is split over a cluster's tracks, e.g. "stable 1.0.0 50% · canary 2.0.0 50%". */
export function describeTracks(c: ClusterReleaseState): string {
  const live = c.tracks.filter((t) => t.weight > 0 || t.replicas > 0);
  if (live.length === 0) return "—";
  return live.map((t) => `${t.name} ${t.version} ${t.weight}%`).join(" · ");
}

/**
 * Each cluster of a release that goes wave by wave: its wave, where it is (waiting with the stable version,
 * progressing, done, rolled back), the version and traffic split its folder in Git asks for, and what the CD tool
 * reports (sync revision and health).
 */
export function WaveClusters({ clusters }: { clusters: ClusterReleaseState[] }) {
  const waves = groupByWave(clusters);
  return (
    <section className="panel" data-testid="wave-clusters" aria-label="Clusters by wave">
      <h2>Waves</h2>
      {waves.map((w) => (
        <div key={w.index} data-testid={`wave-${w.wave}`}>
          <h3>
            Wave {w.index}: {w.wave}
          </h3>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Cluster</th>
                <th scope="col">State</th>
                <th scope="col">Version</th>
                <th scope="col">Traffic</th>
                <th scope="col">Health</th>
                <th scope="col">Synced to</th>
              </tr>
            </thead>
            <tbody>
              {w.clusters.map((c) => (
                <tr key={c.cluster} data-testid={`cluster-${c.cluster}`}>
                  <th scope="row">{c.cluster}</th>
                  <td><StatusBadge status={c.state} /></td>
                  <td>{c.version ?? "—"}</td>
                  <td className="small">{describeTracks(c)}</td>
                  <td>
                    {c.health ? <StatusBadge status={c.health} /> : "—"}
                    {c.message ? <p className="small muted">{c.message}</p> : null}
                  </td>
                  <td className="small"><code>{c.revision ? c.revision.slice(0, 8) : "—"}</code>{c.sync && c.sync !== "Synced" ? ` (${c.sync})` : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
