Feature: Every construct is honoured
  As a workflow author
  I want what I write to do what the specification says
  So that nothing I wrote is quietly ignored

  Scenario: Each attempt of a retried try block is bounded by limit.attempt.duration
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: attempt-duration
      version: '1.0.0'
    do:
      - slowCall:
          try:
            - hang:
                wait: PT30S
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
            retry:
              delay: PT0.1S
              limit:
                attempt:
                  count: 1
                  duration: PT0.3S
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
    instance: /do/0/slowCall/try
    """

  Scenario: A listen filter's data expression is a predicate on each event's data
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: data-predicate
      version: '1.0.0'
    do:
      - bigOrder:
          listen:
            to:
              one:
                with:
                  type: com.example.order
                  data: ${ .amount > $input.threshold }
    """
    And the workflow input is:
    """yaml
    threshold: 10
    """
    And the workflow receives the event:
    """yaml
    specversion: '1.0'
    id: small
    source: /shop
    type: com.example.order
    data:
      amount: 5
    """
    And the workflow receives the event:
    """yaml
    specversion: '1.0'
    id: big
    source: /shop
    type: com.example.order
    data:
      amount: 50
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    - amount: 50
    """

  Scenario: listen read raw gives the event's data as sent
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: read-raw
      version: '1.0.0'
    do:
      - raw:
          listen:
            to:
              one:
                with:
                  type: com.example.note
            read: raw
    """
    And the workflow receives the event:
    """yaml
    specversion: '1.0'
    id: n1
    source: /notes
    type: com.example.note
    data:
      text: hello
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    - '{"text":"hello"}'
    """

  Scenario: An OpenAPI document is fetched with the document's own authentication
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: private-document
      version: '1.0.0'
    use:
      secrets: [ petstoreToken ]
    do:
      - echo:
          call: openapi
          with:
            document:
              endpoint:
                uri: http://stub.test/private/openapi.json
                authentication:
                  bearer:
                    use: petstoreToken
            operationId: echo
            parameters:
              q: found
          output:
            as: ${ .query.q[0] }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    found
    """

  Scenario: A function's tasks see the arguments it was called with as $arguments
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: function-arguments
      version: '1.0.0'
    use:
      functions:
        double:
          set:
            n: ${ $arguments.x * 2 }
    do:
      - twice:
          call: double
          with:
            x: 21
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    n: 42
    """

  Scenario: A task timeout written as an expression sees the task's input
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: timeout-from-input
      version: '1.0.0'
    do:
      - hang:
          wait: PT30S
          timeout:
            after: ${ .limit }
    """
    And the workflow input is:
    """yaml
    limit: PT0.2S
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
    instance: /do/0/hang
    """

  Scenario: A workflow timeout written as an expression sees the workflow's input
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: workflow-timeout-from-input
      version: '1.0.0'
    timeout:
      after: ${ $workflow.input.limit }
    do:
      - hang:
          wait: PT30S
    """
    And the workflow input is:
    """yaml
    limit: PT0.2S
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
    instance: /
    """

  Scenario: A candidate group an expression computes must be a group
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: computed-group
      version: '1.0.0'
    do:
      - ask:
          call: userTask
          with:
            form: seizure-approval
            candidateGroups: [ '${ .team }' ]
    """
    And the workflow input is:
    """yaml
    team: heathrow
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/validation
    instance: /do/0/ask/with/candidateGroups/0
    """

  Scenario: Each task in catch.do sees its own input as $input
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: catch-input
      version: '1.0.0'
    do:
      - guarded:
          try:
            - fail:
                raise:
                  error:
                    type: https://example.com/errors/boom
                    status: 500
          catch:
            do:
              - first:
                  set:
                    step: 1
                    tryInput: ${ $input.start }
              - second:
                  set:
                    sawStep: ${ $input.step }
                    tryInput: ${ $input.tryInput }
    """
    And the workflow input is:
    """yaml
    start: go
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    sawStep: 1
    tryInput: go
    """
