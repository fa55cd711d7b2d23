import { useNavigate } from "react-router";
import type { EntityRelation } from "../api";
import { entityPath } from "../api/query";
import { shortRef } from "../format";

const W = 720;
const H = 380;
const MAX_NODES = 14;

function label(text: string, max = 22) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The entity in the centre and its related entities on a ring; every node is a link. */
export function RelationsGraph({ centerRef, relations }: { centerRef: string; relations: EntityRelation[] }) {
  const navigate = useNavigate();
  // One node per target, listing every relation type that points at it.
  const byTarget = new Map<string, string[]>();
  for (const r of relations) byTarget.set(r.targetRef, [...(byTarget.get(r.targetRef) ?? []), r.type]);
  const targets = [...byTarget.entries()].slice(0, MAX_NODES);
  const hidden = byTarget.size - targets.length;
  const cx = W / 2;
  const cy = H / 2;
  const rx = W / 2 - 90;
  const ry = H / 2 - 45;

  if (targets.length === 0) return <p className="empty">No relations.</p>;

  const go = (ref: string) => (e: React.MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(entityPath(ref));
  };

  return (
    <figure className="graph" data-testid="relations-graph">
      <svg viewBox={`0 0 ${W} ${H}`} role="group" aria-label={`Relations of ${shortRef(centerRef)}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="graph-arrow" />
          </marker>
        </defs>
        {targets.map(([ref, types], i) => {
          const angle = (2 * Math.PI * i) / targets.length - Math.PI / 2;
          const x = cx + rx * Math.cos(angle);
          const y = cy + ry * Math.sin(angle);
          const mx = (cx + x) / 2;
          const my = (cy + y) / 2;
          return (
            <g key={ref}>
              <line x1={cx} y1={cy} x2={x} y2={y} className="graph-edge" markerEnd="url(#arrow)" />
              <text x={mx} y={my - 4} className="graph-edge-label" textAnchor="middle">{label(types.join(", "), 28)}</text>
            </g>
          );
        })}
        {targets.map(([ref], i) => {
          const angle = (2 * Math.PI * i) / targets.length - Math.PI / 2;
          const x = cx + rx * Math.cos(angle);
          const y = cy + ry * Math.sin(angle);
          const kind = ref.split(":")[0];
          return (
            <a key={ref} href={entityPath(ref)} onClick={go(ref)} data-testid={`graph-node-${ref}`} aria-label={`${byTarget.get(ref)!.join(", ")}: ${ref}`}>
              <rect x={x - 80} y={y - 20} width={160} height={40} rx={8} className={`graph-node graph-kind-${kind}`} />
              <text x={x} y={y - 3} textAnchor="middle" className="graph-kind">{kind}</text>
              <text x={x} y={y + 12} textAnchor="middle" className="graph-name">{label(shortRef(ref).replace(/^[^:]+:/, ""), 19)}</text>
            </a>
          );
        })}
        <g>
          <rect x={cx - 85} y={cy - 22} width={170} height={44} rx={10} className="graph-node graph-center" />
          <text x={cx} y={cy + 5} textAnchor="middle" className="graph-center-text">{label(shortRef(centerRef).replace(/^[^:]+:/, ""), 20)}</text>
        </g>
      </svg>
      {hidden > 0 ? <figcaption className="muted small">{hidden} more relations are listed below.</figcaption> : null}
    </figure>
  );
}
