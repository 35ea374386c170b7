Feature: Wait and Timeout
  As a workflow author
  I want to pause an instance and bound how long a task may take
  So that work that stalls raises an error I can handle

  Scenario: Wait for a duration then carry on
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: wait
      version: '1.0.0'
    do:
      - pause:
          wait:
            milliseconds: 50
      - after:
          set:
            waited: true
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    waited: true
    """
    And pause should run first
    And after should run after pause

  Scenario: A task that outlives its timeout faults with a timeout error
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: timeout
      version: '1.0.0'
    do:
      - waitForever:
          listen:
            to:
              one:
                with:
                  type: never.v1
          timeout:
            after: PT0.2S
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/timeout
    status: 408
    instance: /do/0/waitForever
    """

  Scenario: A timeout can be caught
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: timeout-caught
      version: '1.0.0'
    use:
      timeouts:
        short:
          after:
            milliseconds: 200
    do:
      - guarded:
          try:
            - slowCall:
                call: http
                with:
                  method: get
                  endpoint: http://stub.test/slow
                timeout: short
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/dsl/errors/types/timeout
            as: problem
            do:
              - record:
                  set:
                    gaveUp: ${ $problem.status }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    gaveUp: 408
    """
