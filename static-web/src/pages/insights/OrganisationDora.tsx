import { useSearchParams } from "react-router";
import { api } from "../../api";
import { PageHeader } from "../../components/common";
import { useAsync, useDocumentTitle } from "../../hooks";
import { daysFrom, DoraSection, InsightsNav } from "./shared";

export default function OrganisationDora() {
  useDocumentTitle("DORA");
  const [params, setParams] = useSearchParams();
  const days = daysFrom(params);
  const environment = params.get("environment") ?? "";
  const dora = useAsync((signal) => api().insights.organisationDora({ days, environment: environment || undefined }, { signal }), [days, environment]);
  const setDays = (d: number) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      n.set("days", String(d));
      return n;
    }, { replace: true });
  return (
    <section data-testid="organisation-dora-page">
      <PageHeader title="Insights" subtitle="DORA's five delivery figures over every component's production deployments." />
      <InsightsNav />
      <DoraSection report={dora} days={days} onDays={setDays} scopeLabel="the organisation" />
    </section>
  );
}
