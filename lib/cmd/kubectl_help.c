/* --help of kubectl's verbs, in kubectl's layout: what the verb does,
 * examples, usage, and the pointer to the global options. */
#include <string.h>
#include "cmd/kubectl_help.h"

typedef struct verb_help {
    const char *verb;
    const char *about;
    const char *examples;
    const char *usage;
} verb_help;

static const verb_help helps[] = {
    {"config use-context", "Make a context the current one.  meshsim's store has one context, \"meshsim\".",
     "  # Use the meshsim context\n  kubectl config use-context meshsim",
     "kubectl config use-context CONTEXT_NAME [options]"},
    {"apply", "Apply a configuration to a resource by file name or stdin. The resource is created if it does not\n"
              "exist yet; otherwise the fields the manifest sets are merged into it.",
     "  # Apply the manifests in a file\n  kubectl apply -f ./manifest.yaml\n\n"
     "  # Apply what stdin holds\n  cat manifest.yaml | kubectl apply -f -\n\n"
     "  # Check a manifest against the server without storing it\n  kubectl apply --dry-run=server -f ./manifest.yaml",
     "kubectl apply (-f FILENAME | -k DIRECTORY) [options]"},
    {"annotate", "Update the annotations on one or more resources. A key already present is only changed with\n"
                 "--overwrite; KEY- removes an annotation.",
     "  # Annotate a pod\n  kubectl annotate pods foo description='my frontend'\n\n"
     "  # Remove the annotation named description\n  kubectl annotate pods foo description-",
     "kubectl annotate [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] [options]"},
    {"label", "Update the labels on a resource. A key already present is only changed with --overwrite; KEY-\n"
              "removes a label.",
     "  # Label a namespace for sidecar injection\n  kubectl label namespace default istio-injection=enabled\n\n"
     "  # Remove the label named istio-injection\n  kubectl label namespace default istio-injection-",
     "kubectl label [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N [--resource-version=version] [options]"},
    {"patch", "Update fields of a resource using strategic merge patch, a JSON merge patch, or a JSON patch.\n\n"
              "The patch may be JSON or YAML. Custom resources (Istio's kinds, ExternalService) take only\n"
              "merge and json patches.",
     "  # Mount a Secret into the egress gateway's pods (strategic merge: containers merge by name)\n"
     "  kubectl -n istio-system patch deployment istio-egressgateway -p '{\"spec\":{\"template\":{\"spec\":{\"containers\":"
     "[{\"name\":\"istio-proxy\",\"volumeMounts\":[{\"mountPath\":\"/etc/certs/client\",\"name\":\"client-certs\"}]}]}}}}'\n\n"
     "  # Change a DestinationRule with a JSON merge patch\n"
     "  kubectl patch dr cnn --type merge -p '{\"spec\":{\"trafficPolicy\":{\"tls\":{\"mode\":\"SIMPLE\"}}}}'\n\n"
     "  # Add a port with a JSON patch\n"
     "  kubectl patch svc web --type json -p '[{\"op\":\"add\",\"path\":\"/spec/ports/-\",\"value\":{\"port\":443}}]'",
     "kubectl patch (-f FILENAME | TYPE NAME) [-p PATCH|--patch-file FILE] [options]"},
    {"replace", "Replace a resource by file name or stdin. The resource must exist; the stored object becomes\n"
                "the manifest as given.",
     "  # Replace a config map with the content of a file\n  kubectl replace -f ./configmap.yaml",
     "kubectl replace -f FILENAME [options]"},
    {"get", "Display one or many resources: a table by default, or the objects as -o json|yaml|name|jsonpath=...\n"
            "|custom-columns=... prints them.",
     "  # List the pods of the default namespace\n  kubectl get pods\n\n"
     "  # List service entries of every namespace\n  kubectl get se -A\n\n"
     "  # Print the names of the pods labeled app=sleep\n  kubectl get pod -l app=sleep -o jsonpath={.items..metadata.name}",
     "kubectl get [(-o|--output=)json|yaml|name|go-template|go-template-file|template|templatefile|jsonpath|jsonpath-as-json|jsonpath-file|custom-columns|custom-columns-file|wide] (TYPE[.VERSION][.GROUP] [NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags] [options]"},
    {"delete", "Delete resources by file names, stdin, resources and names, or by resources and label selector.\n"
               "Deleting a namespace deletes everything in it.",
     "  # Delete the objects a manifest names\n  kubectl delete -f ./manifest.yaml\n\n"
     "  # Delete a service entry, and do not complain when it is gone already\n"
     "  kubectl delete serviceentry cnn --ignore-not-found",
     "kubectl delete ([-f FILENAME] | [-k DIRECTORY] | TYPE [(NAME | -l label | --all)]) [options]"},
    {"describe", "Show details of a specific resource or group of resources. NAME is a prefix: every resource\n"
                 "whose name starts with it is shown, unless one has exactly that name.",
     "  # Describe a deployment\n  kubectl describe deployment sleep\n\n"
     "  # Describe the pods labeled app=sleep\n  kubectl describe pods -l app=sleep",
     "kubectl describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME) [options]"},
    {"api-resources", "Print the supported API resources on the server.",
     "  # Print the resources of the Istio networking group by name\n"
     "  kubectl api-resources --api-group=networking.istio.io -o name",
     "kubectl api-resources [flags] [options]"},
    {"cluster-info", "Display addresses of the control plane and services with label kubernetes.io/cluster-service=true.",
     "  # Print the address of the control plane\n  kubectl cluster-info",
     "kubectl cluster-info [flags] [options]"},
    {"version", "Print the client and server version information.",
     "  # Print the client version only\n  kubectl version --client",
     "kubectl version [flags] [options]"},
    {0, 0, 0, 0},
};

int kubectl_help(FILE *out, const char *verb)
{
    for (const verb_help *h = helps; h->verb; h++) {
        if (strcmp(h->verb, verb)) continue;
        fprintf(out, "%s\n\nExamples:\n%s\n\nUsage:\n  %s\n\n"
                "Use \"kubectl options\" for a list of global command-line options (applies to all commands).\n",
                h->about, h->examples, h->usage);
        return 0;
    }
    return -1;
}
