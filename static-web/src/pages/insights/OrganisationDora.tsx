import { api } from "../../api";
import { PageHeader } from "../../components/common";
import { useAsync, useDocumentTitle } from "../../hooks";
import { DoraSection, InsightsNav, useDaysParam } from "./shared";

export default function OrganisationDora() {
  useDocumentTitle("DORA");
  const { days, params, setDays } = useDaysParam();
  const environment = params.get("environment") ?? "";
  const dora = useAsync((signal) => api().insights.organisationDora({ days, environment: environment || undefined }, { signal }), [days, environment]);
  return (
    <section data-testid="organisation-dora-page">
      <PageHeader title="Insights" subtitle="DORA's five delivery figures over every component's production deployments." />
      <InsightsNav />
      <DoraSection report={dora} days={days} onDays={setDays} scopeLabel="the organisation" />
    </section>
  );
}
