import { useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, ApiError } from "../api";
import { Loading, PageHeader, ProblemView } from "../components/common";
import { useAsync, useDocumentTitle } from "../hooks";
import { SchemaFields } from "../schemaForm/SchemaForm";
import { collectValues, initialValues, mapServerErrors, orderedFields, validateStep, type FieldErrors, type RawValues } from "../schemaForm/validate";

export default function TemplateForm() {
  const { namespace = "default", name = "" } = useParams();
  const navigate = useNavigate();
  const schema = useAsync((signal) => api().scaffolder.parameterSchema(namespace, name, { signal }), [namespace, name]);
  const steps = useMemo(() => schema.data?.steps ?? [], [schema.data]);
  const [values, setValues] = useState<RawValues | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [step, setStep] = useState(0);
  const [busy, setBusy] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>(null);
  useDocumentTitle(schema.data?.title ?? "Create");

  if (schema.loading && !schema.data) return <Loading label="Loading template…" />;
  if (schema.error) return <ProblemView error={schema.error} onRetry={schema.reload} />;
  const current = values ?? initialValues(steps.map((s) => s.schema));
  const isReview = step >= steps.length;
  const stepFields = (i: number) => orderedFields(steps[i].schema).map(([n]) => n);
  const allFields = steps.flatMap((_, i) => stepFields(i));

  function change(field: string, value: RawValues[string]) {
    setValues({ ...current, [field]: value });
    if (errors[field]) {
      const rest = { ...errors };
      delete rest[field];
      setErrors(rest);
    }
  }

  function validateUpTo(last: number): boolean {
    for (let i = 0; i <= Math.min(last, steps.length - 1); i++) {
      const found = validateStep(steps[i].schema, current);
      if (Object.keys(found).length) {
        setErrors(found);
        setStep(i);
        focusFirstError(found);
        return false;
      }
    }
    setErrors({});
    return true;
  }

  function focusFirstError(found: FieldErrors) {
    const first = Object.keys(found).find(Boolean);
    if (first) setTimeout(() => document.getElementById(`field-${first}`)?.focus(), 0);
  }

  async function submit() {
    if (!validateUpTo(steps.length - 1)) return;
    setBusy(true);
    setSubmitError(null);
    try {
      const templateRef = `template:${namespace}/${name}`;
      const { id } = await api().scaffolder.createTask(templateRef, collectValues(steps.map((s) => s.schema), current));
      navigate(`/create/tasks/${encodeURIComponent(id)}`);
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && Object.keys(error.fieldErrors).length) {
        const mapped = mapServerErrors(error.fieldErrors, allFields);
        setErrors(mapped);
        const stepWithError = steps.findIndex((_, i) => stepFields(i).some((f) => mapped[f]));
        if (stepWithError >= 0) {
          setStep(stepWithError);
          focusFirstError(mapped);
        }
      }
      setSubmitError(error);
    }
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (isReview) void submit();
    else if (validateUpTo(step)) setStep(step + 1);
  }

  const reviewValues = collectValues(steps.map((s) => s.schema), current);
  return (
    <section>
      <p className="breadcrumb"><Link to="/create">Create</Link> / {name}</p>
      <PageHeader title={schema.data?.title ?? name} subtitle={schema.data?.description} />
      <ol className="stepper" aria-label="Steps">
        {[...steps.map((s) => s.title), "Review"].map((title, i) => (
          <li key={`${title}-${i}`} className={i === step ? "current" : i < step ? "done" : ""} aria-current={i === step ? "step" : undefined}>
            {title}
          </li>
        ))}
      </ol>
      <form className="schema-form" onSubmit={onSubmit} noValidate data-testid="template-form">
        {!isReview ? (
          <fieldset>
            <legend>{steps[step]?.title}</legend>
            {steps[step]?.description ? <p className="muted">{steps[step].description}</p> : null}
            <SchemaFields schema={steps[step].schema} values={current} errors={errors} onChange={change} />
          </fieldset>
        ) : (
          <fieldset>
            <legend>Review</legend>
            <dl className="review" data-testid="review">
              {Object.entries(reviewValues).map(([k, v]) => (
                <div key={k}><dt>{k}</dt><dd>{Array.isArray(v) ? v.join(", ") : String(v)}</dd></div>
              ))}
            </dl>
          </fieldset>
        )}
        {errors[""]?.length ? <p className="field-error" role="alert">{errors[""].join(" ")}</p> : null}
        {submitError ? <ProblemView error={submitError} /> : null}
        <div className="row form-buttons">
          <button type="button" className="btn btn-secondary" disabled={step === 0 || busy} onClick={() => setStep(step - 1)} data-testid="step-back">
            Back
          </button>
          {isReview ? (
            <button type="submit" className="btn btn-primary" disabled={busy} data-testid="create-submit">
              {busy ? "Creating…" : "Create"}
            </button>
          ) : (
            <button type="submit" className="btn btn-primary" data-testid="step-next">Next</button>
          )}
        </div>
        <p className="sr-only" aria-live="polite">{Object.keys(errors).length ? `${Object.keys(errors).length} fields need attention` : ""}</p>
      </form>
    </section>
  );
}
