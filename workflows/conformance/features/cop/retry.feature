Feature: Retries
  As a workflow author
  I want a failing call retried as my policy says
  So that a flaky service does not fault the case

  Scenario: Retry a flaky call until it succeeds
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: retry
      version: '1.0.0'
    use:
      retries:
        thrice:
          delay:
            milliseconds: 10
          backoff:
            exponential: {}
          limit:
            attempt:
              count: 3
    do:
      - callFlaky:
          try:
            - getIt:
                call: http
                with:
                  method: get
                  endpoint: http://stub.test/flaky
          catch:
            errors:
              with:
                status: 503
            retry: thrice
    """
    And the stub fails the next 2 calls to /flaky
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    ok: true
    """

  Scenario: Retries run out and the error faults the instance
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: retry-exhausted
      version: '1.0.0'
    do:
      - callFlaky:
          try:
            - getIt:
                call: http
                with:
                  method: get
                  endpoint: http://stub.test/flaky
          catch:
            errors:
              with:
                status: 503
            retry:
              limit:
                attempt:
                  count: 1
    """
    And the stub fails the next 5 calls to /flaky
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
    status: 503
    instance: /do/0/callFlaky/try/0/getIt
    """
