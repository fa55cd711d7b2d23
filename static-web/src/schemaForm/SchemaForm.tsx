import { useState } from "react";
import type { JsonSchema } from "../api/types";
import { fieldKind, orderedFields, type FieldErrors, type RawValue, type RawValues } from "./validate";

function describedBy(...ids: (string | false | undefined)[]) {
  const s = ids.filter(Boolean).join(" ");
  return s || undefined;
}

function StringList({ id, value, onChange, invalid, describedById, label }: {
  id: string; value: string[]; onChange: (v: string[]) => void; invalid: boolean; describedById?: string; label: string;
}) {
  const [draft, setDraft] = useState("");
  const add = () => {
    if (!draft.trim()) return;
    onChange([...value, draft.trim()]);
    setDraft("");
  };
  return (
    <div className="string-list">
      {value.length ? (
        <ul>
          {value.map((v, i) => (
            <li key={`${v}-${i}`} className="chip">
              {v}
              <button type="button" className="chip-remove" aria-label={`Remove ${v}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>×</button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="row">
        <input
          id={id}
          data-testid={`field-${id.replace(/^field-/, "")}`}
          value={draft}
          aria-invalid={invalid}
          aria-describedby={describedById}
          aria-label={`${label}: add a value`}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" className="btn btn-secondary btn-small" onClick={add} data-testid={`${id}-add`}>Add</button>
      </div>
    </div>
  );
}

/** Renders one step's JSON Schema as labelled inputs. Validation lives in validate.ts. */
export function SchemaFields({ schema, values, errors, onChange }: {
  schema: JsonSchema; values: RawValues; errors: FieldErrors; onChange: (name: string, value: RawValue) => void;
}) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {orderedFields(schema).map(([name, prop]) => {
        const kind = fieldKind(prop);
        const id = `field-${name}`;
        const label = prop.title ?? name;
        const help = (prop.description ?? (prop["ui:help"] as string | undefined)) || undefined;
        const fieldErrors = errors[name] ?? [];
        const helpId = help ? `${id}-help` : undefined;
        const errorId = fieldErrors.length ? `${id}-error` : undefined;
        const invalid = fieldErrors.length > 0;
        const raw = values[name];
        const isRequired = required.has(name);
        const widget = prop["ui:widget"];
        if (widget === "hidden") return null;
        const common = {
          id,
          name,
          "data-testid": id,
          "aria-invalid": invalid,
          "aria-required": isRequired,
          "aria-describedby": describedBy(helpId, errorId),
        };
        let control: React.ReactNode;
        switch (kind) {
          case "boolean":
            control = (
              <label className="check">
                <input type="checkbox" {...common} checked={raw === true} onChange={(e) => onChange(name, e.target.checked)} />
                {label}
              </label>
            );
            break;
          case "enum": {
            const names = Array.isArray(prop.enumNames) ? prop.enumNames : [];
            control = (
              <select {...common} value={typeof raw === "string" ? raw : ""} onChange={(e) => onChange(name, e.target.value)}>
                <option value="">{isRequired ? "Choose…" : "(none)"}</option>
                {(prop.enum ?? []).map((v, i) => <option key={String(v)} value={String(v)}>{names[i] ?? String(v)}</option>)}
              </select>
            );
            break;
          }
          case "enum-array": {
            const list = Array.isArray(raw) ? raw : [];
            control = (
              <div role="group" aria-labelledby={`${id}-label`} aria-describedby={describedBy(helpId, errorId)} className="check-group">
                {(prop.items?.enum ?? []).map((v) => {
                  const value = String(v);
                  return (
                    <label key={value} className="check">
                      <input
                        type="checkbox"
                        data-testid={`${id}-${value}`}
                        checked={list.includes(value)}
                        onChange={(e) => onChange(name, e.target.checked ? [...list, value] : list.filter((x) => x !== value))}
                      />
                      {value}
                    </label>
                  );
                })}
              </div>
            );
            break;
          }
          case "string-array":
            control = (
              <StringList id={id} label={label} value={Array.isArray(raw) ? raw : []} invalid={invalid} describedById={describedBy(helpId, errorId)} onChange={(v) => onChange(name, v)} />
            );
            break;
          case "number":
          case "integer":
            control = (
              <input
                type="number"
                inputMode={kind === "integer" ? "numeric" : "decimal"}
                step={kind === "integer" ? 1 : "any"}
                min={prop.minimum}
                max={prop.maximum}
                {...common}
                value={typeof raw === "string" ? raw : ""}
                onChange={(e) => onChange(name, e.target.value)}
              />
            );
            break;
          case "string":
            control =
              widget === "textarea" ? (
                <textarea {...common} rows={4} value={typeof raw === "string" ? raw : ""} onChange={(e) => onChange(name, e.target.value)} />
              ) : (
                <input
                  type={widget === "password" ? "password" : prop.format === "email" ? "email" : prop.format === "uri" ? "url" : "text"}
                  {...common}
                  placeholder={typeof prop["ui:placeholder"] === "string" ? (prop["ui:placeholder"] as string) : undefined}
                  autoComplete="off"
                  value={typeof raw === "string" ? raw : ""}
                  onChange={(e) => onChange(name, e.target.value)}
                />
              );
            break;
          default:
            control = <p className="muted small">This field type ({String(prop.type ?? "unknown")}) cannot be edited here; the template's default is used.</p>;
        }
        return (
          <div className={`field${invalid ? " field-invalid" : ""}`} key={name}>
            {kind !== "boolean" ? (
              <label htmlFor={kind === "enum-array" ? undefined : id} id={`${id}-label`}>
                {label}
                {isRequired ? <span className="required" aria-hidden="true"> *</span> : null}
                {isRequired ? <span className="sr-only"> (required)</span> : null}
              </label>
            ) : null}
            {control}
            {help ? <p id={helpId} className="help">{help}</p> : null}
            {fieldErrors.length ? (
              <p id={errorId} className="field-error" data-testid={`${id}-error`}>{fieldErrors.join(" ")}</p>
            ) : null}
          </div>
        );
      })}
    </>
  );
}
